//! The GraphQL documents the suite sends again and again, in one place. Each selects what
//! any test reads back (a test reads only the fields it needs).

pub const REGISTER: &str =
    "mutation($i: RegisterClientInput!) { registerClient(input: $i) { id version firstName lastName } }";
pub const ADMIT: &str = "mutation($i: AdmitClientInput!) { admitClient(input: $i) { id version stage } }";
pub const CHANGE_STAGE: &str =
    "mutation($i: ChangeStageInput!) { changeStage(input: $i) { id version stage levelOfCare stageEnteredAt } }";
pub const DISCHARGE: &str =
    "mutation($i: DischargeClientInput!) { dischargeClient(input: $i) { id version open dischargeReason } }";
pub const REFER: &str = "mutation($i: ReferToSupportGroupInput!) {
    referToSupportGroup(input: $i) { id version status weeklyGoal } }";
pub const REFERRAL_STATUS: &str =
    "mutation($i: UpdateReferralStatusInput!) { updateReferralStatus(input: $i) { id version status } }";
pub const ATTEND: &str =
    "mutation($i: RecordAttendanceInput!) { recordAttendance(input: $i) { id version status attendanceCount } }";
pub const SCHEDULE_FOLLOW_UP: &str =
    "mutation($i: ScheduleFollowUpInput!) { scheduleFollowUp(input: $i) { id version dueOn } }";
pub const RECORD_FOLLOW_UP: &str =
    "mutation($i: RecordFollowUpInput!) { recordFollowUp(input: $i) { id version status outcome } }";
