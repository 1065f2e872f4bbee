import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaffRole } from '../src/entities';
import { toGlobalId } from '../src/schema/shared/globalId';
import { type TestApp, createTestApp } from './helpers/app';
import { createCategory, createUser, signIn, validUscc } from './helpers/factories';
import { type HttpClient, listen } from './helpers/kit';

/**
 * The merchant journey of the README, over a real HTTP socket: apply, review with a request for
 * changes, resubmit, approve, accept the agreement, pass training, complete the profile, activate,
 * and invite an operator who registers afterwards. (The shopper's side is buyer-journey.test.ts.)
 */
let t: TestApp;
let http: HttpClient;
beforeAll(async () => {
  t = await createTestApp();
  http = await listen(t);
});
afterAll(() => t.close());

describe('merchant journey', () => {
  it('takes an applicant from application to an active shop with a team', async () => {
    // `call` returns an operation's data, `mutate` its single payload; both assert nothing failed.
    const { call, mutate } = http;
    // Staff and a category exist already (staff:create, createCategory).
    const reviewer = await createUser(t, { roles: [StaffRole.REVIEWER] });
    const ops = await createUser(t, { roles: [StaffRole.OPERATIONS] });
    const reviewerToken = (await signIn(t, reviewer.email)).accessToken;
    const opsToken = (await signIn(t, ops.email)).accessToken;
    const category = await createCategory(t, '數碼 Electronics');

    // Training staff publish a required course.
    const course = (await mutate(opsToken, `mutation { createTrainingCourse(input: { title: "Platform rules 平台規則", description: "Listing standards and service times", required: true, passScore: 80 }) { trainingCourse { id } errors { code } } }`)).trainingCourse;
    await mutate(opsToken, `mutation($id: ID!) { addTrainingLesson(input: { courseId: $id, title: "Listing standards", body: "Accurate titles, images and specifications." }) { errors { code } } }`, { id: course.id });
    await mutate(opsToken, `mutation($id: ID!) { addQuizQuestion(input: { courseId: $id, prompt: "Counterfeit goods are…", options: ["allowed", "strictly forbidden"], correctOptionIndexes: [1] }) { errors { code } } }`, { id: course.id });
    await mutate(opsToken, `mutation($id: ID!) { publishTrainingCourse(input: { id: $id }) { errors { code } } }`, { id: course.id });

    // 1. A user registers and applies.
    const email = `mei-${Date.now()}@example.com`;
    const registered = await mutate(null, `mutation($i: RegisterInput!) { register(input: $i) { accessToken errors { code } } }`, { i: { email, password: 'correct horse battery', displayName: 'Mei' } });
    const owner = registered.accessToken as string;
    const application = (await mutate(owner, `mutation($i: MerchantApplicationInput!) { createMerchantApplication(input: $i) { merchantApplication { id status } errors { code } } }`, {
      i: {
        shopName: '藍海數碼 Blue Sea Digital',
        legalName: 'Hangzhou Blue Sea Digital Co., Ltd.',
        businessLicenseNumber: validUscc(),
        contactName: 'Mei Chen',
        contactPhone: '13912345678',
        contactEmail: email,
        categoryIds: [toGlobalId('Category', category.id)],
        description: 'Earphones and chargers',
      },
    })).merchantApplication;
    expect(application.status).toBe('DRAFT');
    await mutate(owner, `mutation($id: ID!) { submitMerchantApplication(input: { id: $id }) { errors { code } } }`, { id: application.id });

    // 2. A reviewer claims it and asks for changes.
    const queue = await call(reviewerToken, `{ merchantApplications(filter: { status: SUBMITTED }) { nodes { id shopName } } }`);
    expect(queue.merchantApplications.nodes.map((n: { id: string }) => n.id)).toContain(application.id);
    await mutate(reviewerToken, `mutation($id: ID!) { claimMerchantApplication(input: { id: $id }) { errors { code } } }`, { id: application.id });
    await mutate(reviewerToken, `mutation($id: ID!) { reviewMerchantApplication(input: { applicationId: $id, decision: REQUEST_CHANGES, reason: "Describe your products in more detail" }) { errors { code } } }`, { id: application.id });

    // 3. The applicant sees the reason, fixes and resubmits.
    const mine = await call(owner, `{ myMerchantApplications { status decisions { decision reason } } }`);
    expect(mine.myMerchantApplications[0]).toEqual({ status: 'CHANGES_REQUESTED', decisions: [{ decision: 'REQUEST_CHANGES', reason: 'Describe your products in more detail' }] });
    await mutate(owner, `mutation($id: ID!) { updateMerchantApplication(input: { id: $id, description: "Wireless earphones, chargers and cables from our own factory" }) { errors { code } } }`, { id: application.id });
    await mutate(owner, `mutation($id: ID!) { submitMerchantApplication(input: { id: $id }) { errors { code } } }`, { id: application.id });

    // 4. The reviewer claims it again and approves: the shop exists, ONBOARDING, Mei its OWNER.
    await mutate(reviewerToken, `mutation($id: ID!) { claimMerchantApplication(input: { id: $id }) { errors { code } } }`, { id: application.id });
    const approved = await mutate(reviewerToken, `mutation($id: ID!) { reviewMerchantApplication(input: { applicationId: $id, decision: APPROVE }) { merchantApplication { status shop { id status } } errors { code } } }`, { id: application.id });
    expect(approved.merchantApplication.status).toBe('APPROVED');
    const shopId = approved.merchantApplication.shop.id;

    // 5. The owner accepts the agreement, passes the course, completes the profile and activates.
    const { merchantAgreement } = await call(owner, `{ merchantAgreement { version text } }`);
    await mutate(owner, `mutation($s: ID!, $v: String!) { acceptMerchantAgreement(input: { shopId: $s, version: $v }) { errors { code } } }`, { s: shopId, v: merchantAgreement.version });
    const { trainingCourses } = await call(owner, `{ trainingCourses { id required questions { id prompt options } } }`);
    const required = trainingCourses.find((c: { id: string }) => c.id === course.id);
    const attempt = await mutate(owner, `mutation($i: SubmitQuizAttemptInput!) { submitQuizAttempt(input: $i) { quizAttempt { score passed } errors { code } } }`, {
      i: { shopId, courseId: course.id, answers: [{ questionId: required.questions[0].id, optionIndexes: [1] }] },
    });
    expect(attempt.quizAttempt).toEqual({ score: 100, passed: true });
    await mutate(owner, `mutation($s: ID!) { updateShopProfile(input: { shopId: $s, description: "Everything for your ears", phone: "13912345678", address: "88 Wensan Road, Hangzhou", businessHours: [{ weekday: 1, opens: "09:00", closes: "21:00" }] }) { errors { code } } }`, { s: shopId });
    const activated = await mutate(owner, `mutation($s: ID!) { activateShop(input: { id: $s }) { shop { status trainingProgress { passed bestScore } } errors { code } } }`, { s: shopId });
    expect(activated.shop.status).toBe('ACTIVE');

    // The shop is public now.
    const publicView = await call(null, `query($s: ID!) { shop(id: $s) { name status businessHours { weekday opens closes } } }`, { s: shopId });
    expect(publicView.shop).toEqual({ name: '藍海數碼 Blue Sea Digital', status: 'ACTIVE', businessHours: [{ weekday: 1, opens: '09:00', closes: '21:00' }] });

    // 6. The owner invites an operator who has no account yet; they register and accept.
    const operatorEmail = `op-${Date.now()}@example.com`;
    const invited = await mutate(owner, `mutation($s: ID!, $e: String!) { inviteShopMember(input: { shopId: $s, email: $e, role: OPERATOR }) { invitation { id status } invitationToken errors { code } } }`, { s: shopId, e: operatorEmail });
    const operator = (await mutate(null, `mutation($i: RegisterInput!) { register(input: $i) { accessToken errors { code } } }`, { i: { email: operatorEmail, password: 'another good password', displayName: 'Op' } })).accessToken as string;
    const { myShopInvitations } = await call(operator, `{ myShopInvitations { id role shop { name } } }`);
    expect(myShopInvitations).toEqual([{ id: expect.any(String), role: 'OPERATOR', shop: { name: '藍海數碼 Blue Sea Digital' } }]);
    // The owner sends the invitation secret to the invitee along with the invitation.
    await mutate(operator, `mutation($id: ID!, $token: String!) { acceptShopInvitation(input: { id: $id, token: $token }) { shopMember { role } errors { code } } }`, { id: myShopInvitations[0].id, token: invited.invitationToken });
    const team = await call(owner, `query($s: ID!) { shop(id: $s) { members { role user { displayName } } } }`, { s: shopId });
    expect(team.shop.members).toEqual([
      { role: 'OWNER', user: { displayName: 'Mei' } },
      { role: 'OPERATOR', user: { displayName: 'Op' } },
    ]);
  });
});
