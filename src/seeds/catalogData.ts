import { AttributeType, type CategoryAttribute } from '../entities';

/**
 * The words of the demo catalog: the category tree, brands, shops and product templates the demo
 * seed expands, and the vocabulary the bulk generator assembles titles from. Chinese in
 * traditional characters, mixed with English as real listings are.
 */

export interface CategoryNode {
  name: string;
  slug: string;
  /** Commission rate of this category (roots), or inherited when absent. */
  rate?: string;
  attributes?: CategoryAttribute[];
  children?: CategoryNode[];
}

const CONNECTIVITY: CategoryAttribute = { name: 'Connectivity', type: AttributeType.ENUM, allowedValues: ['Bluetooth', 'Wired'], required: true };

/** The demo category tree: ten departments, four levels at the deepest. */
export const CATEGORY_TREE: CategoryNode[] = [
  {
    name: '數碼 Electronics',
    slug: 'electronics',
    rate: '0.0600',
    children: [
      {
        name: '耳機 Earphones',
        slug: 'earphones',
        attributes: [CONNECTIVITY],
        children: [
          {
            name: '無線耳機 Wireless',
            slug: 'wireless-earphones',
            children: [
              { name: '真無線耳機 True wireless', slug: 'true-wireless-earphones' },
              { name: '頸掛式耳機 Neckband', slug: 'neckband-earphones' },
            ],
          },
          { name: '有線耳機 Wired', slug: 'wired-earphones' },
        ],
      },
      {
        name: '手機配件 Phone accessories',
        slug: 'phone-accessories',
        rate: '0.0800',
        children: [
          { name: '充電器 Chargers', slug: 'chargers' },
          { name: '行動電源 Power banks', slug: 'power-banks' },
          { name: '手機殼 Phone cases', slug: 'phone-cases' },
        ],
      },
      {
        name: '電腦 Computers',
        slug: 'computers',
        children: [
          { name: '筆記型電腦 Laptops', slug: 'laptops' },
          { name: '鍵盤 Keyboards', slug: 'keyboards' },
          { name: '滑鼠 Mice', slug: 'mice' },
        ],
      },
      {
        name: '穿戴裝置 Wearables',
        slug: 'wearables',
        children: [
          { name: '智能手錶 Smart watches', slug: 'smart-watches' },
          { name: '運動手環 Fitness bands', slug: 'fitness-bands' },
        ],
      },
      { name: '音箱 Speakers', slug: 'speakers' },
      { name: '相機 Cameras', slug: 'cameras' },
    ],
  },
  {
    name: '服飾 Fashion',
    slug: 'fashion',
    rate: '0.1000',
    children: [
      { name: '女裝 Womenswear', slug: 'womenswear', children: [{ name: '連衣裙 Dresses', slug: 'dresses' }, { name: '針織衫 Knitwear', slug: 'knitwear' }] },
      { name: '男裝 Menswear', slug: 'menswear', children: [{ name: '襯衫 Shirts', slug: 'shirts' }, { name: '外套 Jackets', slug: 'jackets' }] },
      { name: '鞋靴 Shoes', slug: 'shoes', children: [{ name: '運動鞋 Sneakers', slug: 'sneakers' }, { name: '靴子 Boots', slug: 'boots' }] },
      { name: '箱包 Bags', slug: 'bags' },
    ],
  },
  {
    name: '生鮮 Fresh food',
    slug: 'fresh-food',
    rate: '0.0400',
    children: [
      { name: '冷凍食品 Frozen', slug: 'frozen-food', children: [{ name: '水餃 Dumplings', slug: 'dumplings' }] },
      { name: '水果 Fruit', slug: 'fruit' },
      { name: '海鮮 Seafood', slug: 'seafood' },
    ],
  },
  {
    name: '食品飲料 Food & drink',
    slug: 'food-drink',
    rate: '0.0500',
    children: [
      { name: '茶葉 Tea', slug: 'tea' },
      { name: '咖啡 Coffee', slug: 'coffee' },
      { name: '零食 Snacks', slug: 'snacks' },
    ],
  },
  {
    name: '家居 Home & living',
    slug: 'home',
    rate: '0.0700',
    children: [
      {
        name: '廚房 Kitchen',
        slug: 'kitchen',
        children: [
          { name: '鍋具 Cookware', slug: 'cookware' },
          { name: '廚房小家電 Kitchen appliances', slug: 'small-appliances' },
        ],
      },
      { name: '床品 Bedding', slug: 'bedding' },
      { name: '收納 Storage', slug: 'storage' },
    ],
  },
  {
    name: '美妝 Beauty',
    slug: 'beauty',
    rate: '0.1200',
    children: [
      { name: '護膚 Skincare', slug: 'skincare' },
      { name: '彩妝 Makeup', slug: 'makeup' },
    ],
  },
  {
    name: '運動戶外 Sports & outdoors',
    slug: 'sports',
    rate: '0.0800',
    children: [
      { name: '跑步 Running', slug: 'running' },
      { name: '露營 Camping', slug: 'camping' },
      { name: '健身 Fitness', slug: 'fitness' },
    ],
  },
  {
    name: '母嬰 Mother & baby',
    slug: 'baby',
    rate: '0.0600',
    children: [
      { name: '玩具 Toys', slug: 'toys' },
      { name: '紙尿褲 Diapers', slug: 'diapers' },
    ],
  },
  {
    name: '圖書 Books',
    slug: 'books',
    rate: '0.0300',
    children: [
      { name: '小說 Fiction', slug: 'fiction' },
      { name: "童書 Children's books", slug: 'childrens-books' },
    ],
  },
];

/** Brands: display name (Chinese and English where the brand uses both), slug and the departments the bulk mode uses it in. */
export const DEMO_BRANDS: [name: string, slug: string, departments: string[]][] = [
  ['小米 Xiaomi', 'xiaomi', ['electronics', 'home']],
  ['Sony', 'sony', ['electronics']],
  ['華為 Huawei', 'huawei', ['electronics']],
  ['Anker', 'anker', ['electronics']],
  ['李寧 Li-Ning', 'li-ning', ['fashion', 'sports']],
  ['Apple', 'apple', ['electronics']],
  ['聯想 Lenovo', 'lenovo', ['electronics']],
  ['優衣庫 Uniqlo', 'uniqlo', ['fashion']],
  ['安踏 Anta', 'anta', ['fashion', 'sports']],
  ['三隻松鼠 Three Squirrels', 'three-squirrels', ['food-drink', 'fresh-food']],
  ['戴森 Dyson', 'dyson', ['home', 'beauty']],
  ['美的 Midea', 'midea', ['home']],
  ['蘭蔻 Lancôme', 'lancome', ['beauty']],
  // Toys only: the bulk mode works by department, where LEGO would end up making car seats.
  ['樂高 LEGO', 'lego', []],
  ['迪卡儂 Decathlon', 'decathlon', ['sports', 'fashion']],
  ['羅技 Logitech', 'logitech', ['electronics']],
];

export interface DemoShop {
  slug: string;
  name: string;
  /** Category slugs whose subtrees the shop sells. */
  sells: string[];
  owner: string;
  city: [zh: string, en: string];
}

/** The catalog's ACTIVE shops besides blue-sea-digital; each owner signs in as `<slug>@demo.test`. */
export const DEMO_SHOPS: DemoShop[] = [
  { slug: 'mi-home-store', name: '小米之家 Mi Home Store', sells: ['electronics', 'small-appliances'], owner: '王偉 Wang Wei', city: ['北京', 'Beijing'] },
  { slug: 'anker-official', name: 'Anker 官方旗艦店 Anker Official', sells: ['phone-accessories', 'speakers', 'earphones'], owner: '李娜 Li Na', city: ['深圳', 'Shenzhen'] },
  { slug: 'sound-colour-audio', name: '聲色音響 Sound & Colour Audio', sells: ['earphones', 'speakers'], owner: '張敏 Zhang Min', city: ['廣州', 'Guangzhou'] },
  { slug: 'geek-digital', name: '極客數碼 Geek Digital', sells: ['computers', 'wearables', 'phone-accessories'], owner: '劉洋 Liu Yang', city: ['杭州', 'Hangzhou'] },
  { slug: 'huaqiangbei-electronics', name: '華強北電子 Huaqiangbei Electronics', sells: ['electronics'], owner: '陳靜 Chen Jing', city: ['深圳', 'Shenzhen'] },
  { slug: 'phone-accessories-hub', name: '手機配件專門店 Phone Accessories Hub', sells: ['phone-accessories'], owner: '楊帆 Yang Fan', city: ['東莞', 'Dongguan'] },
  { slug: 'light-shadow-cameras', name: '光影相機館 Light & Shadow Cameras', sells: ['cameras'], owner: '黃磊 Huang Lei', city: ['上海', 'Shanghai'] },
  { slug: 'smart-wear', name: 'Smart Wear 智能穿戴', sells: ['wearables'], owner: '趙麗 Zhao Li', city: ['成都', 'Chengdu'] },
  { slug: 'jiangnan-cotton', name: '江南布衣 Jiangnan Cotton', sells: ['womenswear', 'menswear'], owner: '周傑 Zhou Jie', city: ['杭州', 'Hangzhou'] },
  { slug: 'urban-threads', name: 'Urban Threads 都市衣櫥', sells: ['fashion'], owner: '吳芳 Wu Fang', city: ['上海', 'Shanghai'] },
  { slug: 'li-ning-sports', name: '李寧運動館 Li-Ning Sports Hall', sells: ['sneakers', 'running', 'fitness', 'jackets'], owner: '徐明 Xu Ming', city: ['北京', 'Beijing'] },
  { slug: 'stride-shoes', name: '步履鞋業 Stride Shoes', sells: ['shoes'], owner: '孫悅 Sun Yue', city: ['泉州', 'Quanzhou'] },
  { slug: 'voyage-bags', name: '旅行箱包館 Voyage Bags', sells: ['bags'], owner: '馬超 Ma Chao', city: ['廣州', 'Guangzhou'] },
  { slug: 'silk-whisper', name: '絲語女裝 Silk Whisper', sells: ['womenswear'], owner: '朱琳 Zhu Lin', city: ['蘇州', 'Suzhou'] },
  { slug: 'seafood-wharf', name: '海鮮碼頭 Seafood Wharf', sells: ['seafood', 'frozen-food'], owner: '胡斌 Hu Bin', city: ['大連', 'Dalian'] },
  { slug: 'orchard-direct', name: '果園直送 Orchard Direct', sells: ['fruit'], owner: '郭靜 Guo Jing', city: ['昆明', 'Kunming'] },
  { slug: 'old-street-dumplings', name: '老街水餃 Old Street Dumplings', sells: ['frozen-food'], owner: '何平 He Ping', city: ['青島', 'Qingdao'] },
  { slug: 'tea-hill-house', name: '茶山人家 Tea Hill House', sells: ['tea', 'coffee'], owner: '高峰 Gao Feng', city: ['杭州', 'Hangzhou'] },
  { slug: 'snack-lab', name: '零食研究所 Snack Lab', sells: ['snacks', 'coffee'], owner: '林欣 Lin Xin', city: ['長沙', 'Changsha'] },
  { slug: 'easy-living', name: '宜居生活 Easy Living', sells: ['home'], owner: '羅剛 Luo Gang', city: ['佛山', 'Foshan'] },
  { slug: 'kitchen-finds', name: '廚房好物 Kitchen Finds', sells: ['kitchen'], owner: '梁穎 Liang Ying', city: ['寧波', 'Ningbo'] },
  { slug: 'warm-sleep-bedding', name: '暖眠寢具 Warm Sleep Bedding', sells: ['bedding'], owner: '宋濤 Song Tao', city: ['南通', 'Nantong'] },
  { slug: 'storage-master', name: '收納大師 Storage Master', sells: ['storage'], owner: '鄭爽 Zheng Shuang', city: ['義烏', 'Yiwu'] },
  { slug: 'blossom-beauty', name: '花漾美妝 Blossom Beauty', sells: ['beauty'], owner: '謝婷 Xie Ting', city: ['上海', 'Shanghai'] },
  { slug: 'pure-skin', name: 'Pure Skin 純肌護膚', sells: ['skincare'], owner: '韓雪 Han Xue', city: ['廣州', 'Guangzhou'] },
  { slug: 'wild-trail-camping', name: '山野露營 Wild Trail Camping', sells: ['camping', 'running'], owner: '唐浩 Tang Hao', city: ['成都', 'Chengdu'] },
  { slug: 'runners-home', name: "跑者之家 Runner's Home", sells: ['running', 'fitness', 'sneakers'], owner: '曹陽 Cao Yang', city: ['廈門', 'Xiamen'] },
  { slug: 'baby-paradise', name: '寶貝樂園 Baby Paradise', sells: ['baby'], owner: '許晴 Xu Qing', city: ['南京', 'Nanjing'] },
  { slug: 'brick-kingdom', name: '積木王國 Brick Kingdom', sells: ['toys'], owner: '鄧超 Deng Chao', city: ['台北', 'Taipei'] },
  { slug: 'scholars-pavilion', name: "書香閣 Scholar's Pavilion", sells: ['books'], owner: '馮書 Feng Shu', city: ['香港', 'Hong Kong'] },
];

/** The shops of the base demo that get a few products too (blue-sea-digital sells electronics). */
export const BASE_SHOP_SELLS: Record<string, string[]> = { 'blue-sea-digital': ['electronics'] };

/** Option axes of variants: name (Chinese, English), values (Chinese, English), price step per value. */
export const OPTION_AXES = {
  colour: { name: ['顏色', 'Colour'], step: 0, values: [['黑色', 'Black'], ['白色', 'White'], ['藍色', 'Blue'], ['粉色', 'Pink'], ['灰色', 'Grey'], ['綠色', 'Green']] },
  size: { name: ['尺寸', 'Size'], step: 0, values: [['S', 'S'], ['M', 'M'], ['L', 'L'], ['XL', 'XL']] },
  shoe: { name: ['尺碼', 'Size'], step: 0, values: [['39', '39'], ['40', '40'], ['41', '41'], ['42', '42'], ['43', '43']] },
  capacity: { name: ['容量', 'Storage'], step: 0.2, values: [['256GB', '256GB'], ['512GB', '512GB'], ['1TB', '1TB']] },
  weight: { name: ['重量', 'Weight'], step: 0.8, values: [['500g', '500g'], ['1kg', '1kg'], ['2kg', '2kg']] },
  pack: { name: ['規格', 'Pack'], step: 0.9, values: [['單件', 'Single'], ['兩件裝', '2-pack'], ['三件裝', '3-pack']] },
  edition: { name: ['版本', 'Edition'], step: 0.25, values: [['標準版', 'Standard'], ['套裝版', 'Kit'], ['旗艦版', 'Flagship']] },
  length: { name: ['長度', 'Length'], step: 0.2, values: [['0.9m', '0.9m'], ['1.8m', '1.8m'], ['3m', '3m']] },
  switch: { name: ['軸體', 'Switch'], step: 0, values: [['紅軸', 'Red switch'], ['青軸', 'Blue switch'], ['茶軸', 'Brown switch']] },
  case: { name: ['錶殼', 'Case'], step: 0.1, values: [['42mm', '42mm'], ['46mm', '46mm']] },
  luggage: { name: ['尺寸', 'Size'], step: 0.2, values: [['20吋', '20-inch'], ['24吋', '24-inch'], ['28吋', '28-inch']] },
  pot: { name: ['尺寸', 'Size'], step: 0.1, values: [['28cm', '28cm'], ['30cm', '30cm'], ['32cm', '32cm']] },
  bed: { name: ['床寬', 'Bed width'], step: 0.15, values: [['1.5米床', '1.5 m bed'], ['1.8米床', '1.8 m bed'], ['2.0米床', '2.0 m bed']] },
  tier: { name: ['層數', 'Tiers'], step: 0.3, values: [['兩層', '2 tiers'], ['三層', '3 tiers'], ['四層', '4 tiers']] },
  volume: { name: ['容量', 'Size'], step: 0.6, values: [['30ml', '30ml'], ['50ml', '50ml'], ['100ml', '100ml']] },
  shade: { name: ['色號', 'Shade'], step: 0, values: [['#01 自然色', '#01 Natural'], ['#02 象牙白', '#02 Ivory'], ['#03 玫瑰色', '#03 Rose']] },
  diaper: { name: ['尺碼', 'Size'], step: 0.05, values: [['S', 'S'], ['M', 'M'], ['L', 'L'], ['XL', 'XL']] },
  binding: { name: ['裝幀', 'Binding'], step: 0.5, values: [['平裝', 'Paperback'], ['精裝', 'Hardcover']] },
} satisfies Record<string, { name: [string, string]; step: number; values: [string, string][] }>;

export type OptionAxis = keyof typeof OPTION_AXES;

export interface ProductTemplate {
  category: string;
  /** Values of the category template's attributes (規格參數). */
  attributes: { name: string; value: string }[];
  brand: string | null;
  title: string;
  description: string;
  tags: string[];
  /** Price of the cheapest variant, in yuan. */
  price: number;
  axes: OptionAxis[];
}

/** Earphones require the Connectivity attribute (see CATEGORY_TREE). */
const EARPHONES = new Set(['earphones', 'wireless-earphones', 'true-wireless-earphones', 'neckband-earphones', 'wired-earphones']);

const t = (category: string, brand: string | null, title: string, description: string, tags: string[], price: number, axes: OptionAxis[] = []): ProductTemplate => ({
  category,
  attributes: EARPHONES.has(category) ? [{ name: 'Connectivity', value: category === 'wired-earphones' ? 'Wired' : 'Bluetooth' }] : [],
  brand,
  title,
  description,
  tags,
  price,
  axes,
});

/** The one product the demo has staff ban: a counterfeit offer. */
export const BANNED_TEMPLATE = t('sneakers', null, '超低價 大牌同款運動鞋 原單尾貨', '原單尾貨，專櫃同款，假一賠十，數量有限先到先得，售完即止。', ['特價'], 89, ['shoe']);

export const PRODUCT_TEMPLATES: ProductTemplate[] = [
  t('true-wireless-earphones', 'Sony', 'Sony WF-1000XM5 真無線降噪耳機', '旗艦級主動降噪，支援 LDAC 高解析音訊，單次續航 8 小時，配合充電盒共 24 小時。', ['降噪', '藍牙', 'bluetooth'], 1999, ['colour']),
  t('true-wireless-earphones', '小米 Xiaomi', '小米 Redmi Buds 5 無線藍牙耳機 降噪版', '46dB 深度降噪，12.4mm 動圈單元，通透模式一鍵切換，40 小時總續航。', ['降噪', '藍牙'], 299, ['colour']),
  t('true-wireless-earphones', '華為 Huawei', '華為 FreeBuds Pro 3 無線耳機 Hi-Res 音質', '星閃連接低延遲，智能動態降噪 3.0，支援雙設備同時連接，佩戴舒適。', ['降噪', 'hi-res'], 1299, ['colour']),
  t('true-wireless-earphones', 'Apple', 'Apple AirPods Pro 2 USB-C 主動降噪耳機', 'Active noise cancellation, adaptive audio and personalised spatial audio. 支援 MagSafe 充電盒。', ['降噪', 'airpods'], 1899),
  t('true-wireless-earphones', 'Anker', 'Anker Soundcore Liberty 4 NC 無線藍牙耳機', 'Adaptive noise cancelling with 10-hour playtime; 自適應降噪，配套 App 可調音效。', ['降噪', 'bluetooth'], 599, ['colour']),
  t('true-wireless-earphones', null, '無線藍牙耳機 降噪版 運動防水', '入耳式設計，IPX5 防水防汗，藍牙 5.3 穩定連接，適合跑步、健身與通勤使用。', ['運動', '防水', '藍牙'], 129, ['colour']),
  t('neckband-earphones', 'Sony', 'Sony WI-C100 頸掛式藍牙耳機', '輕巧頸掛設計，25 小時續航，IPX4 防潑水，快充 10 分鐘可聽 60 分鐘。', ['頸掛', '藍牙'], 299, ['colour']),
  t('neckband-earphones', null, '頸掛式運動耳機 磁吸入耳 長續航', '磁吸耳塞不易遺失，單次充電可連續播放 30 小時，適合長時間戶外運動。', ['運動', '頸掛'], 159, ['colour']),
  t('wired-earphones', 'Sony', 'Sony MDR-EX15AP 有線入耳式耳機 帶麥克風', '經典入耳式設計，9mm 驅動單元，線控麥克風可接聽電話。Lightweight and comfortable.', ['有線', '耳機'], 99, ['colour']),
  t('wired-earphones', null, 'Type-C 有線耳機 數字解碼 高音質', '內置 DAC 數字解碼晶片，適用 Type-C 接口手機與平板，線控調節音量。', ['type-c', '有線'], 59),
  t('earphones', 'Sony', 'Sony WH-1000XM5 Wireless Headphones 頭戴式降噪耳機', 'Industry-leading noise cancelling with eight microphones and a 30-hour battery. 頭戴式舒適佩戴。', ['降噪', 'headphones'], 2499, ['colour']),
  t('chargers', 'Anker', 'Anker 65W USB-C Charger 氮化鎵快充', 'GaN 氮化鎵技術，體積比傳統充電器小 40%，三口同充，支援筆記型電腦快充。', ['快充', '氮化鎵', 'gan'], 259, ['colour']),
  t('chargers', '小米 Xiaomi', '小米 120W 快充充電器套裝', '120W 澎湃秒充，19 分鐘充滿手機電量，附贈 6A 快充數據線。', ['快充'], 199),
  t('chargers', 'Apple', 'Apple 20W USB-C Power Adapter 電源轉換器', 'Fast charging for iPhone and iPad. 原裝正品，支援 iPhone 快速充電。', ['快充', 'iphone'], 149),
  t('chargers', null, '三合一無線充電座 手機手錶耳機同時充', '支援 15W 無線快充，可同時為手機、手錶與耳機充電，防滑底座。', ['無線充電'], 189, ['colour']),
  t('chargers', 'Anker', 'Anker USB-C to USB-C Cable 編織快充線 240W', 'Braided nylon cable rated for 240W; 耐彎折 25000 次以上，支援筆電充電。', ['數據線', '快充'], 79, ['length']),
  t('power-banks', 'Anker', 'Anker 737 Power Bank 24000mAh 行動電源', '140W 雙向快充，智能數字顯示屏，可為筆記型電腦充電。Charge a laptop on the go.', ['行動電源', '快充'], 799),
  t('power-banks', '小米 Xiaomi', '小米行動電源 20000mAh 22.5W 快充版', '大容量雙向快充，可攜帶上飛機，支援低電流模式為耳機手環充電。', ['行動電源', '大容量'], 149, ['colour']),
  t('power-banks', null, '磁吸無線行動電源 5000mAh 輕薄款', 'MagSafe 磁吸設計，貼在手機背面即可充電，厚度僅 1.2 厘米。', ['磁吸', '行動電源'], 139, ['colour']),
  t('phone-cases', null, 'iPhone 16 Pro 手機殼 透明防摔', '四角氣囊防摔，通過軍規級跌落測試，不發黃透明材質，精準開孔。', ['手機殼', '防摔', 'iphone'], 49, ['colour']),
  t('phone-cases', null, 'Silicone Phone Case 液態矽膠手機殼', 'Soft-touch liquid silicone with a microfibre lining. 親膚手感，多色可選。', ['手機殼'], 69, ['colour']),
  t('phone-cases', '華為 Huawei', '華為 Mate 70 原裝皮革保護殼', '原裝素皮材質，手感細膩，支援無線充電，貼合機身設計。', ['手機殼', '原裝'], 199, ['colour']),
  t('laptops', '聯想 Lenovo', '聯想 ThinkPad X1 Carbon 14吋輕薄筆記型電腦', 'Intel Core Ultra 7 處理器，1.08kg 碳纖維機身，2.8K OLED 螢幕，商務辦公首選。', ['筆電', '輕薄', '商務'], 12999, ['capacity']),
  t('laptops', 'Apple', 'Apple MacBook Air 13 M3 筆記型電腦', 'M3 chip, 18-hour battery life and a fanless design. 13.6 吋 Liquid Retina 顯示器。', ['macbook', '筆電'], 8999, ['capacity']),
  t('laptops', '華為 Huawei', '華為 MateBook 14 觸控全面屏筆記本', '2.8K 觸控屏，多屏協同，輕薄金屬機身，續航長達 14 小時。', ['筆電', '觸控'], 5999, ['capacity']),
  t('laptops', '聯想 Lenovo', '聯想拯救者 Y9000P 電競筆記型電腦', 'RTX 4060 獨立顯卡，240Hz 高刷新率螢幕，霜刃散熱系統，遊戲創作兩相宜。', ['電競', '遊戲', '筆電'], 9999, ['capacity']),
  t('keyboards', '羅技 Logitech', '羅技 MX Keys S 無線鍵盤', 'Smart backlighting and quiet typing; 可同時連接三台設備並一鍵切換。', ['鍵盤', '無線', '辦公'], 799, ['colour']),
  t('keyboards', null, '機械鍵盤 87鍵 熱插拔 RGB 背光', '支援熱插拔軸體，全鍵無衝，RGB 燈效可自訂，附贈鍵帽拔鍵器。', ['機械鍵盤', 'rgb'], 299, ['switch']),
  t('keyboards', '羅技 Logitech', 'Logitech K380 Multi-Device Bluetooth Keyboard 藍牙鍵盤', 'Compact and portable, connects to three devices. 圓形鍵帽，兩年電池壽命。', ['鍵盤', '藍牙'], 229, ['colour']),
  t('mice', '羅技 Logitech', '羅技 MX Master 3S 無線滑鼠 靜音版', '8000 DPI 光學感應器，靜音按鍵，MagSpeed 電磁滾輪，人體工學設計。', ['滑鼠', '靜音', '辦公'], 649, ['colour']),
  t('mice', '小米 Xiaomi', '小米無線滑鼠 Lite 輕量版', '輕量化設計，1000 DPI 精準定位，USB 接收器即插即用，續航長達 12 個月。', ['滑鼠', '無線'], 49, ['colour']),
  t('mice', null, 'Gaming Mouse 電競滑鼠 26000DPI 輕量化', 'Ultra-light 58g shell with a honeycomb design; 支援宏定義與 RGB 燈光。', ['電競', '滑鼠'], 199, ['colour']),
  t('smart-watches', 'Apple', 'Apple Watch Series 10 智能手錶 GPS', 'A thinner design with a bigger display and sleep apnoea notifications. 血氧與心率監測。', ['智能手錶', '運動'], 2999, ['colour', 'case']),
  t('smart-watches', '華為 Huawei', '華為 WATCH GT 5 智能手錶 14天續航', '14 天超長續航，玄璣感知系統，支援百餘種運動模式與專業跑步指導。', ['智能手錶', '續航'], 1488, ['colour']),
  t('smart-watches', '小米 Xiaomi', '小米 Watch S3 智能手錶 eSIM版', 'eSIM 獨立通話，可換錶圈設計，支援 150 多種運動模式。', ['智能手錶', 'esim'], 899, ['colour']),
  t('fitness-bands', '小米 Xiaomi', '小米手環 9 NFC版 運動手環', '1.62 吋 AMOLED 螢幕，21 天續航，NFC 門禁與交通卡，心率血氧監測。', ['手環', 'nfc', '運動'], 269, ['colour']),
  t('fitness-bands', '華為 Huawei', '華為手環 9 睡眠監測 輕薄款', '輕至 14 克，科學睡眠監測，支援 100 種運動模式，快充 45 分鐘充滿。', ['手環', '睡眠'], 299, ['colour']),
  t('speakers', 'Sony', 'Sony SRS-XB100 藍牙音箱 便攜防水', 'IP67 防水防塵，16 小時續航，附帶掛繩，戶外露營的好夥伴。', ['音箱', '防水', '藍牙'], 449, ['colour']),
  t('speakers', '小米 Xiaomi', '小米小愛音箱 Pro 智能語音助手', '支援語音控制智能家居，紅外遙控傳統家電，立體聲音效。', ['智能音箱', '語音'], 299, ['colour']),
  t('speakers', 'Anker', 'Anker Soundcore Motion 300 Wireless Speaker 藍牙音箱', 'Hi-Res wireless audio with 30W stereo sound; IPX7 防水設計。', ['音箱', 'hi-res'], 599, ['colour']),
  t('speakers', null, '藍牙音箱 便攜 迷你 重低音', '小巧便攜的藍牙音箱，可以連接耳機和手機，續航十二小時，重低音效果出色。', ['音箱', '便攜'], 129, ['colour']),
  t('cameras', 'Sony', 'Sony Alpha 7 IV 全片幅無反相機', '3300 萬像素全片幅感光元件，4K 60p 影片錄製，即時眼部對焦。', ['相機', '全片幅', '攝影'], 16999, ['edition']),
  t('cameras', 'Sony', 'Sony ZV-1 II Vlog Camera 數碼相機', 'Ultra-wide 18-50mm zoom lens for vlogging; 產品展示模式，背景虛化一鍵切換。', ['vlog', '相機'], 5499, ['colour']),
  t('cameras', null, '拍立得相機 復古即影即有 附相紙', '復古外形，自動曝光，自拍鏡子設計，附贈 20 張相紙，送禮首選。', ['拍立得', '復古', '禮物'], 499, ['colour']),

  t('dresses', null, '法式碎花連衣裙 收腰顯瘦 夏季新款', '雪紡面料輕盈透氣，收腰設計修飾身形，V 領露出鎖骨，約會度假皆宜。', ['連衣裙', '碎花', '夏季'], 239, ['colour', 'size']),
  t('dresses', '優衣庫 Uniqlo', 'UNIQLO 優衣庫 女裝 棉質長裙', '100% 棉質面料，寬鬆剪裁，舒適百搭，可機洗。A relaxed cotton long dress.', ['連衣裙', '棉質'], 199, ['colour', 'size']),
  t('dresses', null, 'Knit Midi Dress 針織中長連衣裙 秋冬', 'Soft rib knit that follows the figure; 秋冬可內搭可單穿，彈力好不起球。', ['針織', '連衣裙'], 329, ['colour', 'size']),
  t('knitwear', null, '羊絨針織衫 圓領 女款 基礎百搭', '山羊絨混紡，柔軟親膚不扎，基礎款多色可選，春秋必備單品。', ['羊絨', '針織衫'], 459, ['colour', 'size']),
  t('knitwear', '優衣庫 Uniqlo', 'UNIQLO 美麗諾羊毛 V 領針織衫', 'Extra fine merino wool, machine washable. 輕薄保暖，適合疊穿。', ['羊毛', '針織衫'], 249, ['colour', 'size']),
  t('shirts', null, '男士商務襯衫 免燙 長袖 修身', '高支棉免燙面料，抗皺易打理，修身剪裁，通勤正裝皆可。', ['襯衫', '免燙', '商務'], 189, ['colour', 'size']),
  t('shirts', '優衣庫 Uniqlo', 'UNIQLO Oxford Shirt 牛津紡襯衫 男裝', 'Classic button-down collar in durable oxford cotton. 休閒百搭，越洗越柔軟。', ['襯衫', '牛津紡'], 199, ['colour', 'size']),
  t('shirts', null, '亞麻短袖襯衫 男 夏季 透氣', '天然亞麻面料吸濕透氣，寬鬆版型，海邊度假、日常休閒兩相宜。', ['亞麻', '襯衫', '夏季'], 159, ['colour', 'size']),
  t('jackets', null, '輕薄羽絨服 男 可收納 保暖', '90% 白鴨絨填充，輕至 250 克，可收納進隨附小袋，出行方便。', ['羽絨服', '保暖', '冬季'], 399, ['colour', 'size']),
  t('jackets', '李寧 Li-Ning', '李寧 防風夾克 男子運動外套', '防風防潑水面料，立領設計，適合跑步、徒步等戶外運動。', ['夾克', '防風', '運動'], 359, ['colour', 'size']),
  t('jackets', null, 'Denim Jacket 牛仔外套 復古水洗', 'Vintage-wash denim with a relaxed fit; 經典四季款，男女同款。', ['牛仔', '外套', '復古'], 269, ['colour', 'size']),
  t('sneakers', '李寧 Li-Ning', '李寧 超輕 21 跑步鞋 男款', '輕量回彈中底，透氣網面鞋面，適合日常訓練與長距離跑步。', ['跑鞋', '輕量', '運動'], 499, ['shoe']),
  t('sneakers', '安踏 Anta', '安踏 C202 競速跑鞋 碳板', '全掌碳板推進，氮科技中底，專為馬拉松競速打造。', ['跑鞋', '碳板', '馬拉松'], 699, ['shoe']),
  t('sneakers', null, '小白鞋 百搭 板鞋 男女同款', '頭層牛皮鞋面，耐磨橡膠大底，經典百搭白色，容易清潔。', ['小白鞋', '板鞋'], 199, ['shoe']),
  t('sneakers', '李寧 Li-Ning', 'Li-Ning Way of Wade 韋德之道 籃球鞋', 'Responsive cushioning and ankle support for the court; 專業實戰籃球鞋。', ['籃球鞋', '運動'], 1299, ['shoe']),
  t('boots', null, '切爾西靴 真皮 短靴 男女款', '頭層牛皮，鬆緊帶設計一腳蹬穿脫方便，防滑橡膠底，秋冬百搭。', ['短靴', '真皮', '冬季'], 459, ['shoe']),
  t('boots', null, '雪地靴 加絨加厚 防水防滑', '羊毛內裏加厚保暖，防水鞋面，零下二十度也能保持雙腳溫暖。', ['雪地靴', '保暖', '防水'], 289, ['shoe']),
  t('bags', null, '20吋登機箱 PC 材質 萬向輪', '輕量 PC 箱體耐撞抗摔，靜音萬向輪，TSA 海關鎖，符合多數航空公司登機尺寸。', ['行李箱', '登機箱', '旅行'], 399, ['colour', 'luggage']),
  t('bags', null, 'Laptop Backpack 商務電腦雙肩包 防潑水', 'Fits 15.6-inch laptops, with a USB charging port and an anti-theft pocket. 大容量多隔層。', ['背包', '電腦包', '商務'], 219, ['colour']),
  t('bags', null, '真皮托特包 女 大容量 通勤', '頭層牛皮，可放 A4 文件與 13 吋筆電，通勤購物兩用。', ['托特包', '真皮'], 599, ['colour']),

  t('dumplings', null, '手工豬肉白菜水餃 冷凍 1kg裝', '選用新鮮豬後腿肉與大白菜，手工包製，皮薄餡多，急凍鎖鮮，十分鐘即可上桌。', ['水餃', '冷凍', '手工'], 39, ['weight']),
  t('dumplings', null, '鮮蝦三鮮水餃 冷凍 家庭裝', '整隻鮮蝦搭配豬肉與韭菜，鮮甜多汁，家庭裝每袋 60 隻。', ['水餃', '鮮蝦'], 59, ['pack']),
  t('frozen-food', null, '冷凍小籠包 上海風味 24隻裝', '薄皮大餡湯汁飽滿，蒸 8 分鐘即可享用上海風味早餐。', ['小籠包', '冷凍', '早餐'], 35, ['pack']),
  t('frozen-food', null, 'Frozen Beef Wellington 威靈頓牛排 預製菜', 'Restaurant-style beef wellington, oven-ready in 30 minutes. 節日聚餐宴客首選。', ['牛排', '預製菜'], 189),
  t('fruit', null, '智利車厘子 JJ級 2.5kg 禮盒', '空運直達，果徑 28-30mm，脆甜多汁，全程冷鏈配送。', ['車厘子', '水果', '禮盒'], 299, ['weight']),
  t('fruit', null, '海南金煌芒果 新鮮當季 5斤裝', '樹上自然成熟，香甜軟糯少纖維，產地直發。', ['芒果', '當季'], 69, ['weight']),
  t('fruit', null, '陽光玫瑰青提 無籽 2串裝', '玫瑰香氣濃郁，皮薄無籽，甜度十八度以上。', ['葡萄', '無籽'], 89, ['pack']),
  t('fruit', null, 'New Zealand Kiwifruit 紐西蘭金奇異果 巨無霸', 'Golden kiwifruit rich in vitamin C. 每箱 18 至 22 顆，酸甜多汁。', ['奇異果', '進口'], 129, ['pack']),
  t('seafood', null, '阿拉斯加帝王蟹 鮮活急凍 2kg', '深海捕撈，船上急凍鎖鮮，蟹腿飽滿，清蒸即可品嚐鮮甜原味。', ['帝王蟹', '海鮮'], 899, ['weight']),
  t('seafood', null, '厄瓜多爾白蝦 冷凍大蝦 2kg', '單凍包裝，每公斤 40 至 50 隻，肉質彈牙，白灼油燜皆宜。', ['大蝦', '冷凍', '海鮮'], 159, ['weight']),
  t('seafood', null, 'Norwegian Salmon Fillet 挪威三文魚柳 刺身級', 'Sashimi-grade Atlantic salmon, vacuum packed. 冰鮮空運，可生食。', ['三文魚', '刺身'], 139, ['weight']),
  t('tea', null, '西湖龍井 明前特級 250g 罐裝', '杭州西湖產區明前採摘，豆花香濃郁，湯色嫩綠明亮。', ['龍井', '綠茶', '明前'], 368, ['weight']),
  t('tea', null, '雲南普洱熟茶 357g 茶餅 2018年', '古樹原料，渥堆發酵，陳香醇厚，越陳越香。', ['普洱', '熟茶'], 198, ['pack']),
  t('tea', null, '台灣高山烏龍茶 梨山 150g', '海拔兩千米以上梨山茶區，花香清雅，回甘悠長。', ['烏龍茶', '高山茶'], 420, ['pack']),
  t('tea', null, 'English Breakfast Tea 英式早餐紅茶 100包', 'A robust blend of Assam and Ceylon teas; 適合加奶，早餐絕配。', ['紅茶', '茶包'], 89, ['pack']),
  t('coffee', null, '精品咖啡豆 耶加雪菲 中淺焙 454g', '埃塞俄比亞耶加雪菲產區，柑橘花香與莓果酸質，每週新鮮烘焙。', ['咖啡豆', '精品', '手沖'], 128, ['weight']),
  t('coffee', null, '掛耳咖啡 混合裝 30包', '五種產區風味混合裝，沸水沖泡即飲，辦公室出差必備。', ['掛耳', '咖啡'], 79, ['pack']),
  t('coffee', null, 'Cold Brew Coffee Concentrate 冷萃咖啡液 濃縮', 'Slow-steeped for 18 hours; just add milk or water. 零糖零脂。', ['冷萃', '咖啡'], 69, ['pack']),
  t('snacks', '三隻松鼠 Three Squirrels', '三隻松鼠 每日堅果 30包 禮盒', '六種堅果果乾科學配比，獨立小包裝，每天一包營養均衡。', ['堅果', '禮盒', '零食'], 129, ['pack']),
  t('snacks', '三隻松鼠 Three Squirrels', '三隻松鼠 夏威夷果 奶油味 500g', '顆粒飽滿，奶香濃郁，附贈開果器，追劇好零食。', ['夏威夷果', '堅果'], 59, ['weight']),
  t('snacks', null, '麻辣牛肉乾 四川風味 200g', '精選黃牛後腿肉，手撕風味，麻辣鮮香，越嚼越香。', ['牛肉乾', '麻辣', '零食'], 49, ['pack']),
  t('snacks', null, 'Sea Salt Potato Chips 海鹽薯片 家庭裝', 'Kettle-cooked for extra crunch; 薄脆爽口，輕盈不膩。', ['薯片', '零食'], 29, ['pack']),

  t('cookware', null, '不沾炒鍋 麥飯石 少油煙', '麥飯石塗層不沾不糊，少油健康，適用電磁爐與燃氣灶。', ['炒鍋', '不沾'], 199, ['pot']),
  t('cookware', null, 'Cast Iron Skillet 鑄鐵平底鍋 預開鍋', 'Pre-seasoned cast iron for searing and baking; 受熱均勻，越用越好用。', ['鑄鐵鍋', '平底鍋'], 259, ['pot']),
  t('cookware', null, '304 不鏽鋼湯鍋 雙耳 加厚複底', '三層複合鍋底，聚熱快不易糊，燉湯煮麵兩用。', ['湯鍋', '不鏽鋼'], 169, ['pot']),
  t('small-appliances', '美的 Midea', '美的 電飯煲 4L 智能預約 IH 加熱', 'IH 電磁加熱，24 小時預約，多種烹飪模式，內膽不沾易清洗。', ['電飯煲', '智能'], 399, ['edition']),
  t('small-appliances', '小米 Xiaomi', '小米 米家空氣炸鍋 4.5L 可視窗', '無油低脂，可視窗口隨時看，App 智能食譜，一鍵烹飪。', ['空氣炸鍋', '米家'], 329, ['colour']),
  t('small-appliances', '美的 Midea', '美的 破壁機 加熱 豆漿機 靜音', '八葉精鋼刀，高速破壁，加熱功能可做熱豆漿與米糊，降噪設計。', ['破壁機', '豆漿'], 499),
  t('small-appliances', '戴森 Dyson', 'Dyson Supersonic 吹風機 HD15', 'Intelligent heat control protects natural shine. 智能溫控，快速乾髮不傷髮。', ['吹風機', 'dyson'], 2999, ['colour']),
  t('bedding', null, '60支長絨棉 四件套 床單被套', '長絨棉 60 支高密度織造，柔軟親膚，越洗越舒服。', ['四件套', '長絨棉', '床品'], 399, ['colour', 'bed']),
  t('bedding', null, '蠶絲被 春秋被 桑蠶絲 100%', '桑蠶絲填充，輕盈透氣，四季可用，附質檢報告。', ['蠶絲被', '被子'], 899, ['bed']),
  t('bedding', null, 'Memory Foam Pillow 記憶棉枕頭 護頸', 'Contoured memory foam supports the neck and shoulders; 慢回彈，可拆洗枕套。', ['枕頭', '記憶棉'], 159, ['pack']),
  t('storage', null, '衣物收納箱 可折疊 三件套', '加厚牛津布，可視窗設計，折疊後不佔空間，換季收納好幫手。', ['收納箱', '折疊'], 79, ['colour']),
  t('storage', null, '廚房置物架 多層 不鏽鋼', '不鏽鋼材質，免打孔安裝，層高可調，收納調料與鍋具。', ['置物架', '廚房'], 129, ['tier']),
  t('storage', null, 'Stackable Storage Drawers 透明抽屜收納盒', 'Clear stackable drawers for wardrobes and desks. 可疊加，一目了然。', ['收納盒', '抽屜'], 99, ['pack']),

  t('skincare', '蘭蔻 Lancôme', '蘭蔻 小黑瓶 精華肌底液', '修護肌膚屏障，改善膚質，提亮膚色。An advanced repairing serum.', ['精華', '修護'], 1080, ['volume']),
  t('skincare', null, '玻尿酸保濕面霜 敏感肌可用 50g', '多重玻尿酸深層補水，無香精無酒精，敏感肌也能安心使用。', ['面霜', '保濕', '敏感肌'], 159, ['volume']),
  t('skincare', null, 'Vitamin C Serum 維他命C 亮白精華液', '15% vitamin C with ferulic acid for a brighter complexion. 早晚皆可使用。', ['精華', '美白', '維他命c'], 199, ['volume']),
  t('skincare', null, '氨基酸洗面奶 溫和清潔 120g', '氨基酸表活溫和不緊繃，綿密泡沫，男女通用。', ['洗面奶', '氨基酸'], 69, ['pack']),
  t('makeup', '蘭蔻 Lancôme', '蘭蔻 菁純口紅 絲絨霧面', 'Creamy matte lipstick with rose extract; 顯色持久，滋潤不拔乾。', ['口紅', '霧面'], 320, ['shade']),
  t('makeup', null, '持妝粉底液 控油 遮瑕 30ml', '輕薄服帖，十二小時持妝不暗沉，適合混合肌與油性肌。', ['粉底液', '持妝'], 229, ['shade']),
  t('makeup', null, 'Eyeshadow Palette 12色眼影盤 大地色', 'Twelve buildable matte and shimmer shades; 大地色系日常百搭。', ['眼影', '大地色'], 139),

  t('running', '李寧 Li-Ning', '李寧 速乾運動T恤 男 跑步', '吸濕速乾面料，反光細節夜跑更安全，透氣網眼拼接。', ['速乾', '跑步', 't恤'], 129, ['colour', 'size']),
  t('running', null, '跑步腰包 貼身防水 可放手機', '彈力面料貼合腰部，跑步不晃動，防潑水拉鍊，可放 6.7 吋手機。', ['腰包', '跑步'], 59, ['colour']),
  t('running', '迪卡儂 Decathlon', '迪卡儂 KIPRUN 壓縮跑步緊身褲', 'Compression tights that support the muscles over long distances. 拉伸性好，側邊口袋。', ['緊身褲', '跑步', '壓縮'], 199, ['size']),
  t('camping', '迪卡儂 Decathlon', '迪卡儂 Quechua 2秒速開帳篷 3人', '拋開即用，兩秒展開，防雨防曬，適合家庭露營與音樂節。', ['帳篷', '露營', '速開'], 599, ['colour']),
  t('camping', null, '戶外折疊露營椅 月亮椅 鋁合金', '航空鋁合金支架，承重 150 公斤，收納後僅 1.2 公斤。', ['露營椅', '折疊'], 169, ['colour']),
  t('camping', null, 'LED Camping Lantern 露營燈 可充電', 'A rechargeable LED lantern with three light modes and a power-bank function. 續航 20 小時。', ['露營燈', 'led'], 129),
  t('camping', null, '羽絨睡袋 戶外 零下10度', '650 蓬鬆度白鴨絨，木乃伊型設計，適合高海拔及冬季露營。', ['睡袋', '羽絨', '露營'], 699, ['colour']),
  t('fitness', null, '可調節啞鈴 家用 2.5-24kg', '一秒切換重量，一副頂十五副，節省家中空間。', ['啞鈴', '健身'], 1299, ['pack']),
  t('fitness', '迪卡儂 Decathlon', '迪卡儂 瑜伽墊 加厚 8mm 防滑', '雙面防滑紋理，8mm 加厚緩衝保護膝蓋，附贈綁帶。', ['瑜伽墊', '防滑'], 99, ['colour']),
  t('fitness', null, 'Resistance Bands Set 彈力帶 阻力帶 5件套', 'Five resistance levels for strength and rehab training. 天然乳膠，附收納袋。', ['彈力帶', '健身'], 69),

  t('toys', '樂高 LEGO', '樂高 LEGO 城市系列 消防局 60320', 'Build a fire station with a fire engine and four minifigures. 適合 6 歲以上兒童。', ['樂高', '積木', '玩具'], 699),
  t('toys', '樂高 LEGO', '樂高 Technic 保時捷 911 GT3 RS 42156', '1:8 比例精細還原，2704 顆零件，可動變速箱與轉向系統。For adult builders.', ['樂高', '科技', '跑車'], 2999),
  t('toys', null, '木質磁力積木 100片 兒童益智', '天然櫸木，磁力拼接，培養空間想像力，邊角圓潤安全。', ['積木', '益智', '木質'], 159, ['pack']),
  t('toys', null, '遙控越野車 四驅 高速 充電版', '1:16 比例，四驅越野，時速 30 公里，防水設計，雙電池續航更久。', ['遙控車', '四驅'], 259, ['colour']),
  t('diapers', null, '超薄透氣紙尿褲 64片', '立體導流層，十二小時乾爽，柔軟親膚，呵護寶寶嬌嫩肌膚。', ['紙尿褲', '透氣'], 99, ['diaper']),
  t('diapers', null, '拉拉褲 學步褲 44片', '彈力腰圍方便穿脫，適合學步期寶寶，夜用防漏。', ['拉拉褲', '學步'], 89, ['diaper']),

  t('fiction', null, '三體 全集 劉慈欣 科幻小說', '雨果獎獲獎作品，地球文明與三體文明的恢弘史詩，全三冊。', ['科幻', '小說', '三體'], 168, ['binding']),
  t('fiction', null, 'One Hundred Years of Solitude 百年孤獨 英文版', 'Gabriel García Márquez’s masterpiece of magical realism. 英文原版。', ['經典', '小說', '英文'], 98, ['binding']),
  t('fiction', null, '活著 余華 經典長篇小說', '講述福貴一生的苦難與堅韌，感動千萬讀者的經典之作。', ['經典', '小說'], 39, ['binding']),
  t('childrens-books', null, '好餓的毛毛蟲 繪本 中英雙語', '經典洞洞書，認識數字、星期與食物，適合零至六歲的小朋友。', ['繪本', '雙語', '兒童'], 45),
  t('childrens-books', null, 'Harry Potter Box Set 哈利波特 英文版 全7冊', 'The complete seven-book series in paperback. 英文原版，附精美收納盒。', ['哈利波特', '英文', '套裝'], 499, ['binding']),
];

export const REJECT_REASONS = [
  '圖片與商品不符 Images do not match the product',
  '標題含有誇大用語 The title makes exaggerated claims',
  '缺少規格參數 Specifications are missing',
  '描述過於簡短 The description is too thin',
];

export const BAN_REASON = '涉嫌售賣仿冒品 Suspected counterfeit goods';

/** Product types the bulk generator adds under the departments (when fewer than ~200 categories exist). */
export const BULK_TYPES: Record<string, [slug: string, zh: string, en: string][]> = {
  electronics: [['tablets', '平板電腦', 'Tablets'], ['monitors', '顯示器', 'Monitors'], ['routers', '路由器', 'Routers'], ['projectors', '投影機', 'Projectors'], ['game-consoles', '遊戲主機', 'Game consoles'], ['drones', '無人機', 'Drones']],
  fashion: [['hoodies', '連帽衫', 'Hoodies'], ['jeans', '牛仔褲', 'Jeans'], ['scarves', '圍巾', 'Scarves'], ['hats', '帽子', 'Hats'], ['socks', '襪子', 'Socks'], ['sleepwear', '睡衣', 'Sleepwear']],
  'fresh-food': [['vegetables', '蔬菜', 'Vegetables'], ['beef', '牛肉', 'Beef'], ['eggs', '雞蛋', 'Eggs'], ['mushrooms', '菌菇', 'Mushrooms'], ['rice', '大米', 'Rice'], ['dairy', '乳品', 'Dairy']],
  'food-drink': [['instant-noodles', '方便麵', 'Instant noodles'], ['nuts', '堅果', 'Nuts'], ['chocolate', '巧克力', 'Chocolate'], ['juice', '果汁', 'Juice'], ['mooncakes', '月餅', 'Mooncakes'], ['sauces', '醬料', 'Sauces']],
  home: [['lamps', '檯燈', 'Lamps'], ['curtains', '窗簾', 'Curtains'], ['towels', '毛巾', 'Towels'], ['vacuum-cleaners', '吸塵器', 'Vacuum cleaners'], ['air-purifiers', '空氣淨化器', 'Air purifiers'], ['cups', '水杯', 'Cups']],
  beauty: [['lipsticks', '口紅', 'Lipsticks'], ['sunscreen', '防曬霜', 'Sunscreen'], ['face-masks', '面膜', 'Face masks'], ['perfume', '香水', 'Perfume'], ['shampoo', '洗髮水', 'Shampoo'], ['nail-polish', '指甲油', 'Nail polish']],
  sports: [['yoga-mats', '瑜伽墊', 'Yoga mats'], ['bicycles', '自行車', 'Bicycles'], ['badminton', '羽毛球拍', 'Badminton rackets'], ['swimwear', '泳衣', 'Swimwear'], ['hiking-backpacks', '登山包', 'Hiking backpacks'], ['dumbbells', '啞鈴', 'Dumbbells']],
  baby: [['strollers', '嬰兒車', 'Strollers'], ['baby-bottles', '奶瓶', 'Baby bottles'], ['kids-clothes', '童裝', "Kids' clothes"], ['puzzles', '拼圖', 'Puzzles'], ['car-seats', '安全座椅', 'Car seats'], ['plush-toys', '毛絨玩具', 'Plush toys']],
  books: [['history-books', '歷史', 'History'], ['cookbooks', '食譜', 'Cookbooks'], ['comics', '漫畫', 'Comics'], ['business-books', '商業管理', 'Business'], ['travel-guides', '旅遊指南', 'Travel guides'], ['poetry', '詩集', 'Poetry']],
};

/** Product lines of each department; every bulk type gets two of its department's three. */
export const BULK_LINES: Record<string, [slug: string, zh: string, en: string][]> = {
  electronics: [['entry', '入門', 'Entry'], ['pro', '專業', 'Pro'], ['flagship', '旗艦', 'Flagship']],
  fashion: [['mens', '男款', "Men's"], ['womens', '女款', "Women's"], ['kids', '兒童', 'Kids']],
  'fresh-food': [['organic', '有機', 'Organic'], ['imported', '進口', 'Imported'], ['farm', '產地直送', 'Farm-direct']],
  'food-drink': [['imported', '進口', 'Imported'], ['low-sugar', '低糖', 'Low-sugar'], ['gift', '禮盒', 'Gift']],
  home: [['nordic', '北歐風', 'Nordic'], ['japanese', '日式', 'Japanese-style'], ['smart', '智能', 'Smart']],
  beauty: [['sensitive', '敏感肌', 'Sensitive-skin'], ['mens', '男士', "Men's"], ['travel', '旅行裝', 'Travel-size']],
  sports: [['beginner', '入門', 'Beginner'], ['pro', '專業', 'Pro'], ['kids', '兒童', 'Kids']],
  baby: [['newborn', '新生兒', 'Newborn'], ['toddler', '幼兒', 'Toddler'], ['kids', '兒童', 'Kids']],
  books: [['classic', '經典', 'Classic'], ['illustrated', '圖解', 'Illustrated'], ['kids', '兒童', "Children's"]],
};

type Pair = [zh: string, en: string];

/** Word lists the bulk generator draws from, Chinese and English side by side. */
export const BULK_WORDS: {
  adjectives: Pair[];
  features: Pair[];
  colours: Pair[];
  specs: string[];
  models: string[];
  cities: Pair[];
  kinds: [zh: string, en: string, department: string][];
  suffixes: Pair[];
  owners: string[];
} = {
  adjectives: [
    ['新款', 'New'], ['經典', 'Classic'], ['高端', 'Premium'], ['專業', 'Pro'], ['簡約', 'Minimal'], ['復古', 'Retro'], ['限量', 'Limited'], ['家用', 'Home'],
    ['進口', 'Imported'], ['精選', 'Select'], ['優質', 'Quality'], ['熱賣', 'Popular'], ['輕奢', 'Luxe'], ['原創', 'Original'], ['日系', 'Japanese-style'], ['北歐', 'Nordic'],
  ],
  /** Selling points that fit any product, as marketplace titles carry them. */
  features: [
    ['官方正品', 'Genuine'], ['包郵', 'Free shipping'], ['現貨', 'In stock'], ['限時特惠', 'Flash sale'], ['禮盒裝', 'Gift box'], ['家庭裝', 'Family pack'],
    ['升級款', 'Upgraded'], ['2026新款', '2026 model'], ['環保', 'Eco-friendly'], ['熱銷爆款', 'Best seller'], ['品質保證', 'Quality assured'], ['買一送一', 'Buy one get one'],
    ['七天無理由', '7-day returns'], ['順豐直發', 'Express delivery'], ['限定款', 'Limited edition'], ['新品上市', 'New arrival'],
  ],
  colours: [['黑色', 'Black'], ['白色', 'White'], ['藍色', 'Blue'], ['紅色', 'Red'], ['灰色', 'Grey'], ['粉色', 'Pink'], ['綠色', 'Green'], ['金色', 'Gold']],
  specs: ['標準版', '升級版', '旗艦版', '禮盒版'],
  models: ['X', 'S', 'A', 'M', 'T', 'K', 'Z', 'Q'],
  /** Bulk shop names: city, kind and suffix, Chinese and English. */
  cities: [['杭州', 'Hangzhou'], ['深圳', 'Shenzhen'], ['廣州', 'Guangzhou'], ['上海', 'Shanghai'], ['北京', 'Beijing'], ['成都', 'Chengdu'], ['台北', 'Taipei'], ['香港', 'Hong Kong']],
  /** Kind of shop: Chinese, English and the department it applied for. */
  kinds: [
    ['數碼', 'Digital', 'electronics'], ['家居', 'Home', 'home'], ['服飾', 'Fashion', 'fashion'], ['美妝', 'Beauty', 'beauty'],
    ['運動', 'Sports', 'sports'], ['母嬰', 'Baby', 'baby'], ['食品', 'Foods', 'food-drink'], ['書店', 'Books', 'books'],
  ],
  suffixes: [['優選', 'Select'], ['專營店', 'Outlet'], ['旗艦店', 'Flagship Store'], ['好物', 'Goods']],
  owners: ['陳曉', '林峰', '黃蓉', '張偉', '李靜', '王芳', '劉強', '吳敏', '趙磊', '周婷', '孫浩', '朱紅'],
};
