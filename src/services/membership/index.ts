export { EXPIRES_SQL, MEMBER_TIME_ZONE, minorToPoints, pointsBalance, pointsToMinor, postPoints, postPointsFrom, type PointsPosting, recordRedemption, returnRedeemedPoints } from './points';
export { memberShippingOf, memberStandings, SPEND_SQL, windowStart } from './standing';
export { MAX_RANK, type MemberLevelInput, memberLevels, membershipOf, type MembershipView, setMemberLevels, visibleMemberLevel } from './levels';
export { grantMemberCoupons, memberMonth, recomputeLevels } from './levelTasks';
export { myPoints, visiblePointsEntry } from './queries';
export { expirePoints } from './expiry';
export { applyReferralCode, inviteeNameOf, linkReferral, myReferrals, normaliseReferralCode, referrerForRegistration, type ReferralSummary, rewardReferrals } from './referrals';
export { checkIn, type CheckInStanding, checkInStanding, checkInStandings, memberDay, myCheckIns, STREAK_SQL } from './checkIn';
export { claimGrowthTask, createGrowthTask, type CreateGrowthTaskInput, endGrowthTask, growthTaskState, type GrowthTaskState, listGrowthTasks, type MemberGrowthTaskView, type MemberTaskStatus, myGrowthTasks, visibleGrowthTask } from './growth';
