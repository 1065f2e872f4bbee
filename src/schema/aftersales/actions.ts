import { registerEnumType } from 'type-graphql';

/** What the viewer may do next with an after-sale case (`AfterSaleCase.nextActions`). */
export enum AfterSaleAction {
  RESPOND = 'RESPOND',
  SUBMIT_RETURN = 'SUBMIT_RETURN',
  CONFIRM_RETURN_RECEIVED = 'CONFIRM_RETURN_RECEIVED',
  RESEND = 'RESEND',
  CONFIRM_RECEIPT = 'CONFIRM_RECEIPT',
  ESCALATE = 'ESCALATE',
  ARBITRATE = 'ARBITRATE',
  WITHDRAW = 'WITHDRAW',
  ADD_MESSAGE = 'ADD_MESSAGE',
}

registerEnumType(AfterSaleAction, {
  name: 'AfterSaleAction',
  description: 'A step the viewer may take on an after-sale case now.',
  valuesConfig: {
    RESPOND: { description: '`respondAfterSale`: approve or reject (the merchant).' },
    SUBMIT_RETURN: { description: '`submitReturnShipment` (the buyer).' },
    CONFIRM_RETURN_RECEIVED: { description: '`confirmReturnReceived` (the merchant).' },
    RESEND: { description: '`resendAfterSale` (the merchant).' },
    CONFIRM_RECEIPT: { description: '`confirmAfterSaleReceipt`: the replacement or repaired goods arrived (the buyer).' },
    ESCALATE: { description: '`escalateAfterSale` to platform arbitration.' },
    ARBITRATE: { description: '`arbitrateAfterSale` (staff CUSTOMER_SERVICE).' },
    WITHDRAW: { description: '`withdrawAfterSale` (the buyer).' },
    ADD_MESSAGE: { description: '`addAfterSaleMessage`.' },
  },
});
