//! Every string the web pages show, Chinese first. Error texts come from the error
//! catalogue (`crate::i18n::error_message`) by code; everything else is a [`Msg`].

use crate::i18n::Lang;
use hezhi_domain::deadline::PauseReason;
use hezhi_domain::{
    CaseKind, CaseState, Channel, CommandKind, Complexity, Outcome, PartyRole, ReferralChannel,
    RegionLevel, Role, Satisfaction, UnitKind, Urgency,
};

macro_rules! catalogue {
    ($($key:ident => $zh:literal, $en:literal;)*) => {
        /// A message of the web pages.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Msg { $($key,)* }

        impl Msg {
            #[cfg(test)]
            pub const ALL: &[Msg] = &[$(Msg::$key,)*];

            pub fn text(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((Msg::$key, Lang::Zh) => $zh, (Msg::$key, Lang::En) => $en,)*
                }
            }
        }
    };
}

catalogue! {
    AppName => "和治", "Hezhi";
    SkipToContent => "跳到正文", "Skip to content";
    Navigation => "主导航", "Main navigation";
    NavCases => "事件列表", "Cases";
    NavPassword => "修改密码", "Change password";
    NavIntake => "窗口受理", "Intake";
    NavOpenCases => "未办结事件", "Open cases";
    OrderLabel => "排序", "Order";
    ViewsLabel => "列表", "Lists";
    ViewAll => "全部事件", "All cases";
    ViewReturned => "被退回待重新派遣", "Returned, to dispatch again";
    ViewExtension => "延期申请待审批", "Extension requests";
    BadgeReturned => "被退回", "Returned";
    ExtensionRequested => "延期申请（待审批）", "Extension requested (awaiting decision)";
    ReturnedCount => "被退回次数", "Times returned";
    SupervisionCount => "督办次数", "Supervision notes";
    EscalatedTo => "已提级至", "Escalated to";
    OpenOnly => "只看未办结", "Open cases only";
    OverdueOnly => "只看已超期", "Overdue only";
    BadgeExtension => "申请延期", "Extension requested";
    OrderQueue => "按紧急程度和剩余时间", "By urgency and time left";
    OrderNewest => "最新登记在前", "Newest first";
    QueueHead => "只列出队列最前面的 25 件。要看其余事件，请缩小筛选范围，或按最新登记在前翻页。", "Only the first 25 cases of the queue are listed. To see the rest, narrow the filters or page through them newest first.";
    TrackTitle => "办理进度查询", "Follow a case";
    TrackHint => "输入受理回执上的查询码和任一当事人的手机号码。", "Enter the tracking code from the receipt and the mobile number of any party.";
    TrackSubmit => "查询", "Look up";
    TrackState => "当前状态", "Current state";
    IntakeTitle => "受理登记", "New case";
    IntakeHint => "带 * 的为必填项。Tab 键在各项之间移动，回车即提交。", "Fields marked * are required. Tab moves between fields; Enter submits.";
    IntakeCategory => "类别", "Category";
    IntakeChannel => "来源渠道", "Channel";
    IntakeRegion => "所在村（社区）或网格代码", "Village or grid code";
    IntakeRegionHint => "12 位村（社区）代码，或 15 位网格代码，例如 370811002001。", "The 12-digit village code, or the 15-digit grid code, e.g. 370811002001.";
    IntakeAddress => "详细地址", "Address";
    IntakeTitleField => "事由", "Subject";
    IntakeDescription => "情况描述", "Description";
    IntakeApplicant => "申请人（反映人）", "Applicant";
    IntakeRespondent => "被申请人（如有）", "Respondent (if any)";
    IntakePartyName => "姓名", "Name";
    IntakePartyPhone => "手机号码", "Mobile number";
    IntakePartyId => "身份证号码", "ID number";
    IntakeAmount => "涉及金额（元）", "Amount involved (yuan)";
    IntakePeople => "涉及人数", "People involved";
    IntakeFirstContact => "当场化解（首问办结）", "Settled on the spot (first contact)";
    IntakeFirstContactNote => "化解情况", "How it was settled";
    IntakeSubmit => "登记", "Register";
    IntakeCheck => "查找以往和相似事件", "Find earlier and similar cases";
    EarlierTitle => "以往和相似事件", "Earlier and similar cases";
    EarlierOfParty => "该当事人的以往事件", "This person's earlier cases";
    EarlierNearby => "近 7 天同一地点的同类事件", "Same category, same place, last 7 days";
    EarlierNone => "没有找到以往或相似事件。", "No earlier or similar cases found.";
    EarlierHint => "若是同一件事，请打开原事件继续办理，不要重复登记。", "If it is the same matter, open the earlier case and carry on there instead of registering it again.";
    ReceiptTitle => "受理回执", "Receipt";
    ReceiptNumber => "事件编号", "Case number";
    ReceiptTrackingCode => "查询码", "Tracking code";
    ReceiptReported => "登记时间", "Registered";
    ReceiptHowToFollow => "凭查询码和当事人手机号码，可随时查询办理进度。", "With the tracking code and a party's mobile number, the progress can be followed at any time.";
    ReceiptPrint => "可使用浏览器的打印功能打印本回执。", "Print this receipt with the browser's print command.";
    ReceiptToCase => "查看事件", "Open the case";
    ReceiptNext => "继续受理下一件", "Register the next case";
    SignIn => "登录", "Sign in";
    SignOut => "退出登录", "Sign out";
    SignedInAs => "当前用户", "Signed in as";
    UserName => "用户名", "User name";
    Password => "密码", "Password";
    TotpCode => "动态口令（如已绑定身份验证器）", "Authenticator code (if enrolled)";
    SignInHint => "工作人员请使用用户名和密码登录。", "Staff sign in with their name and password.";
    SignInExpired => "登录页面已过期，请重新提交。", "The sign-in page expired; please submit it again.";
    ChangePasswordTitle => "修改密码", "Change password";
    ChangePasswordHint => "首次登录或密码被重置后，须先设置新密码才能继续使用。新密码至少 10 个字符，不能包含用户名。", "After the first sign-in or a reset, set a new password before anything else. It needs at least 10 characters and may not contain your name.";
    CurrentPassword => "当前密码", "Current password";
    NewPassword => "新密码", "New password";
    NewPasswordAgain => "再次输入新密码", "New password again";
    PasswordsDiffer => "两次输入的新密码不一致", "The two new passwords differ";
    Save => "保存", "Save";
    Language => "语言", "Language";
    LanguageZh => "中文", "中文";
    LanguageEn => "English", "English";
    TextSize => "字号", "Text size";
    TextLarge => "大字", "Large text";
    TextNormal => "标准字号", "Normal text";
    CasesTitle => "事件列表", "Cases";
    Filter => "筛选", "Filter";
    AnyValue => "全部", "All";
    State => "状态", "State";
    Urgency => "紧急程度", "Urgency";
    Region => "区划代码", "Region code";
    NoCases => "没有符合条件的事件。", "No cases match.";
    NextPage => "下一页", "Next page";
    FirstPage => "回到第一页", "First page";
    Due => "办结期限", "Due";
    NoDeadline => "未设期限", "No deadline";
    Overdue => "已超期", "Overdue";
    TimeLeft => "剩余", "Left";
    Number => "编号", "Number";
    Kind => "类型", "Kind";
    Category => "纠纷类型", "Category";
    Channel => "渠道", "Channel";
    Address => "地址", "Address";
    Description => "情况描述", "Description";
    ReportedAt => "登记时间", "Reported";
    Version => "版本", "Version";
    Summary => "概况", "Summary";
    Parties => "当事人", "Parties";
    PartyName => "姓名", "Name";
    PartyRole => "身份", "Role";
    Phone => "手机号码", "Phone";
    IdNumber => "身份证号码", "ID number";
    Timeline => "办理经过", "History";
    Actions => "可进行的操作", "What you can do";
    NoActions => "您现在不能对此事件进行操作。", "There is nothing you can do on this case now.";
    BackToCases => "返回事件列表", "Back to the cases";
    Note => "备注", "Note";
    Reason => "理由", "Reason";
    SuggestedChannel => "建议渠道", "Suggested channel";
    Complexity => "繁简", "Complexity";
    CaseLeader => "包案领导", "Case leader";
    LeadUnit => "主责部门", "Lead unit";
    SupportingUnits => "配合部门", "Supporting units";
    DueAt => "办结期限（北京时间）", "Due (China time)";
    Outcome => "办结结果", "Outcome";
    Referral => "引导渠道（未化解时填写）", "Referred to (when not settled)";
    Satisfaction => "满意度", "Satisfaction";
    NoneChosen => "（不选）", "(none)";
    ErrorTitle => "出错了", "Something went wrong";
    FieldLabel => "字段", "Field";
    Days => "天", " d";
    Hours => "小时", " h";
    Minutes => "分钟", " min";
    StateReported => "待受理", "Reported";
    StateAccepted => "已受理", "Accepted";
    StateDeclined => "不予受理", "Declined";
    StateTriaged => "已研判", "Triaged";
    StateDispatched => "已交办", "Dispatched";
    StateInProgress => "办理中", "In progress";
    StateResolved => "已办结", "Resolved";
    StateVerified => "已核查", "Verified";
    StateFollowedUp => "已回访", "Followed up";
    StateArchived => "已归档", "Archived";
    UrgencyNone => "未分级", "Not graded";
    UrgencyRed => "红色（紧急）", "Red (emergency)";
    UrgencyOrange => "橙色（复杂长期）", "Orange (complex, long)";
    UrgencyYellow => "黄色（需研究）", "Yellow (needs study)";
    UrgencyGreen => "绿色（简单）", "Green (simple)";
    CommandAccept => "受理", "Accept";
    CommandDecline => "不予受理", "Decline";
    CommandResolveAtFirstContact => "首问办结", "Resolve at first contact";
    CommandTriage => "研判分级", "Triage";
    CommandDispatch => "分流交办", "Dispatch";
    CommandAcknowledge => "签收", "Acknowledge";
    CommandReturn => "退回", "Return";
    CommandConfirmPart => "确认配合办理", "Confirm our part";
    CommandRequestExtension => "申请延期", "Request an extension";
    CommandApproveExtension => "批准延期", "Approve the extension";
    CommandRefuseExtension => "不批准延期", "Refuse the extension";
    CommandSupervise => "督办", "Supervise";
    CommandEscalate => "上报", "Escalate";
    CommandResolve => "办结", "Resolve";
    CommandVerify => "核查通过", "Verify";
    CommandRework => "返工", "Send back for rework";
    CommandFollowUp => "回访", "Follow up";
    CommandArchive => "归档销号", "Archive";
    CommandAttach => "上传附件", "Attach a file";
    CommandPauseClock => "中止计时", "Stop the clock";
    CommandResumeClock => "恢复计时", "Start the clock again";
    PauseReasonLabel => "中止原因", "Reason";
    PauseAwaitingParty => "等待当事人", "Waiting for a party";
    PauseAppraisal => "鉴定评估", "Appraisal under way";
    PauseAwaitingAuthority => "等待其他机关", "Waiting for another authority";
    ClockPaused => "计时中止", "Clock stopped";
    ClockPauses => "中止计时记录", "Stops of the clock";
    VerifyDue => "核查期限", "Verify by";
    FollowUpDue => "回访期限", "Follow up by";
    VerificationPhoto => "现场照片", "Photo of the spot";
    FilesToAttach => "附件（照片或文件）", "Files (photos or documents)";
    FilesHint => "可选 JPEG、PNG、WebP 图片或 PDF 文件，每个不超过 10 MB，一次最多 4 个。", "JPEG, PNG or WebP images or PDF files, up to 10 MB each and 4 at a time.";
    ExtendUntil => "申请延期至", "Extend until";
    NavReport => "上报事件", "Report";
    NavOverview => "态势总览", "Overview";
    NavReminders => "到期提醒", "Reminders";
    RemindersTitle => "到期提醒", "Deadline reminders";
    RemindersHint => "已超期和 24 小时内到期的未办结事件，最紧急的在前。", "Open cases past their deadline or due within 24 hours, the most urgent first.";
    NoReminders => "没有临近或超过期限的事件。", "No case is near or past its deadline.";
    RoleSystem => "系统", "System";
    NavAdmin => "系统管理", "Administration";
    TotpTitle => "绑定身份验证器", "Enrol an authenticator";
    TotpSteps => "您的账户须使用动态口令登录。请用手机上的身份验证器应用（如 FreeOTP、Google Authenticator 或微信小程序“腾讯身份验证器”）扫描下方二维码，或手动输入密钥，然后输入应用显示的 6 位数字。", "Your account signs in with a one-time code. Scan the QR code below with an authenticator app on your phone, or type the key in by hand, then enter the 6 digits the app shows.";
    TotpQrLabel => "身份验证器二维码", "Authenticator QR code";
    TotpSecret => "密钥", "Key";
    TotpConfirm => "确认绑定", "Confirm";
    TotpCodeFromApp => "应用显示的 6 位数字", "The 6 digits the app shows";
    AdminTitle => "系统管理", "Administration";
    AdminDeadlines => "办理时限", "Deadlines";
    PromisedDueAt => "承诺办结时间", "Promised handling date";
    PromisedDueAtHint => "橙色（复杂长期）事件须承诺办结时间；其他事件按办理时限规则自动计算，可不填。", "Orange (complex, long-running) matters need a promised date; for others the deadline table sets it and this may stay empty.";
    ResponseDue => "响应时限", "Respond by";
    PolicyVersion => "时限规则版本", "Deadline rules version";
    DeadlineVersion => "当前生效版本：", "Version in force:";
    DeadlineHint => "每条规则按紧急程度、类型、类别代码和登记层级匹配事件（“全部”表示不限）；条件越多越优先，同样多时以排在后面的为准。须保留一条不限条件的规则。保存后生成新版本，只适用于此后的事件。", "Each rule matches cases by urgency, kind, category code and level (\"any\" matches all); the rule naming more criteria wins, and of equal ones the later. Keep one rule with no criteria. Saving makes a new version, which applies to cases from then on.";
    DeadlineRule => "规则", "Rule";
    DeadlineLevel => "登记层级", "Level";
    DeadlineResponse => "响应时限", "Response";
    DeadlineHandling => "办结时限", "Handling";
    DeadlineVerification => "核查时限", "Verification";
    DeadlineFollowUp => "回访时限", "Follow-up";
    DeadlineUnit => "单位", "Unit";
    DeadlineDelete => "删除此规则", "Remove this rule";
    DeadlineSave => "保存为新版本", "Save as a new version";
    DeadlineSaved => "已保存，新版本号", "Saved as version";
    SpanHours => "小时", "hours";
    LevelProvince => "省", "Province";
    LevelCity => "市", "City";
    LevelCounty => "县（区）", "County";
    LevelTown => "乡镇（街道）", "Town";
    LevelVillage => "村（社区）", "Village";
    LevelGrid => "网格", "Grid";
    SpanDays => "天（自然日）", "calendar days";
    SpanWorkingDays => "个工作日", "working days";
    SpanSameDay => "当日", "the same day";
    SpanPromised => "研判时承诺", "promised at triage";
    AdminNotPermitted => "您的角色不能进行系统管理。", "Your role does not administer the system.";
    AdminUsers => "用户与角色", "Users and roles";
    AdminRoles => "角色", "Roles";
    AdminRole => "角色", "Role";
    AdminRevoke => "撤销", "Revoke";
    AdminTemporaryPassword => "设置临时密码", "Set a temporary password";
    AdminReminderPhone => "提醒手机号", "Reminder phone";
    DeadlineWarningPercent => "临期提醒：时限过去", "Warn when this share of the time has passed:";
    DeadlinePausable => "允许中止计时的原因", "Reasons the clock may stop for";
    AdminReminderPhoneSet => "已保存提醒手机号，到期提醒将同时以短信发送", "Reminder phone saved: deadline reminders also go by SMS";
    AdminReminderPhoneCleared => "已删除提醒手机号，到期提醒仅在系统内显示", "Reminder phone removed: reminders show in the app only";
    AdminNewUser => "新建用户", "New user";
    AdminCreate => "创建", "Create";
    AdminGrant => "授予角色", "Grant a role";
    AdminGrantHint => "区域类角色填写区划代码；承办人和调解员填写所属单位编号（见下方单位列表）。", "Region-bound roles take a region code; unit handlers and mediators take their unit's id (see the units below).";
    AdminUnitId => "单位编号", "Unit id";
    AdminUnits => "单位", "Units";
    AdminUnitName => "单位名称", "Unit name";
    AdminNewUnit => "新建单位", "New unit";
    AdminUnitCategories => "负责的纠纷类型代码", "Category codes it handles";
    AdminUnitCategoriesHint => "多个代码用逗号分开，例如 neighbour,labour；不填表示全部类型。", "Separate codes with commas, e.g. neighbour,labour; leave empty for every category.";
    AdminGrids => "网格", "Grids";
    AdminGridsHint => "上传一个村（社区）的网格范围：GeoJSON 要素集合，每个要素带 number（网格序号）和 name。再次上传同一村会更新已有网格。", "Upload a village's grids: a GeoJSON FeatureCollection whose features carry number and name. Uploading the same village again updates its grids.";
    AdminVillage => "村（社区）区划代码", "Village code";
    AdminGridFile => "GeoJSON 文件", "GeoJSON file";
    AdminImport => "导入", "Import";
    AdminGridsImported => "已导入网格数", "Grids imported";
    AdminCategories => "纠纷类型", "Categories";
    AdminCode => "代码", "Code";
    AdminNameZh => "中文名称", "Chinese name";
    AdminNameEn => "英文名称", "English name";
    AdminSaveCategory => "新增或修改类型", "Add or rename a category";
    AdminSave => "保存", "Save";
    AdminCategorySaved => "已保存类型", "Category saved";
    AdminUserCreated => "已创建用户", "User created";
    AdminUnitCreated => "已创建单位", "Unit created";
    AdminPasswordShownOnce => "临时密码只显示这一次，请当面或通过安全渠道告知用户，用户首次登录时须修改。", "The temporary password is shown this once; give it to the user in person or by a safe channel. It must be changed at the first sign-in.";
    UnitDepartment => "职能部门", "Department";
    UnitGovernanceCentre => "综治中心", "Governance centre";
    UnitMediationCommittee => "人民调解委员会", "Mediation committee";
    UnitCourt => "人民法院", "Court";
    UnitPoliceStation => "派出所", "Police station";
    UnitJusticeOffice => "司法所", "Justice office";
    UnitVillageCommittee => "村（居）委会", "Village committee";
    UnitOther => "其他单位", "Other";
    ViewToAcknowledge => "待签收", "To acknowledge";
    ViewHandling => "办理中", "In hand";
    ViewAllOpen => "全部未办结", "All open";
    BadgeLead => "主责", "Lead";
    BadgePartPending => "配合（待确认）", "Supporting (to confirm)";
    BadgePartDone => "配合（已确认）", "Supporting (confirmed)";
    OverviewTitle => "态势总览", "Overview";
    PeriodFrom => "起始日期", "From";
    PeriodTo => "截止日期", "To";
    Show => "查看", "Show";
    TotalReported => "期间受理", "Reported in the period";
    IndicatorsTitle => "考核指标", "Indicators";
    LedgerTitle => "矛盾纠纷排查化解台账", "Dispute ledger";
    LedgerTotal => "共计事件", "Cases:";
    LedgerFirstRows => "页面只列出前 500 件，导出文件包含全部事件。", "The page lists the first 500 cases; the export holds them all.";
    NavLedger => "台账", "Ledger";
    IndicatorsNote => "按事件发生之日统计：受理按登记日、办结按办结日、应结按办理期限所在日。", "Counted on the day each thing happened: reports on the report's day, closures on the closing day, cases due on their deadline's day.";
    IndicatorFigure => "指标", "Indicator";
    IndicatorValue => "数值", "Value";
    IndicatorBasis => "计算依据", "Basis";
    ExportLedger => "导出台账（Excel）", "Export the ledger (Excel)";
    ExportLedgerCsv => "导出台账（CSV）", "Export the ledger (CSV)";
    ExportReport => "月度统计报表（打印）", "Monthly report (print)";
    ExportReportXlsx => "月度统计报表（Excel）", "Monthly report (Excel)";
    RateClosure => "结案率", "Closure rate";
    RateOnTime => "按期结案率", "On-time closure rate";
    RateMediationSuccess => "调解成功率", "Mediation success rate";
    RateFirstContact => "首问办结率", "First-contact resolution rate";
    RateRework => "返工率", "Rework rate";
    RateSatisfaction => "满意率", "Satisfaction rate";
    RateLocal => "就地化解率", "Local resolution rate";
    CountReported => "受理", "Reported";
    CountDispatched => "派遣", "Dispatched";
    CountClosed => "办结", "Closed";
    CountDue => "应结", "Due for closure";
    CountScreened => "排查", "Found by screening";
    CountPrevented => "预防", "Risks closed before a dispute";
    CountMediations => "调解", "Mediations";
    CountSettled => "调解成功", "Settled";
    CountFollowedUp => "回访", "Followed up";
    CountAmount => "涉及金额（元）", "Amount involved (yuan)";
    CountPeople => "涉及人数", "People involved";
    TotalClosed => "其中已办结", "Of which closed";
    TotalOpenNow => "当前未办结", "Open now";
    TotalOverdue => "当前已超期", "Overdue now";
    MapTitle => "各网格未办结事件分布", "Open cases by grid";
    MapLegend => "未办结事件数：", "Open cases:";
    MapOffGrid => "登记在村（社区）及以上、未落到网格的未办结事件", "Open cases registered above any grid";
    TrendTitle => "每日受理量", "Cases reported per day";
    CountColumn => "件数", "Cases";
    ByState => "按状态", "By state";
    ByUrgency => "按紧急程度", "By urgency";
    ByCategory => "按类别", "By category";
    ByRegion => "按区域", "By region";
    AtThisLevel => "本级直接登记", "Registered at this level";
    OverdueList => "超期事件", "Overdue cases";
    NavMyCases => "我的事件", "My cases";
    ResidentSignInTitle => "群众登录", "Residents' sign-in";
    ResidentSignInHint => "请输入手机号码，我们会发送 6 位验证码。", "Enter your mobile number; we will send a 6-digit code.";
    ResidentCodeSent => "验证码已发送，5 分钟内有效。", "The code has been sent; it is valid for 5 minutes.";
    ResidentPhone => "手机号码", "Mobile number";
    ResidentCode => "验证码", "Code";
    ResidentSendCode => "获取验证码", "Send the code";
    ResidentLink => "群众请用手机号登录", "Residents: sign in with your phone";
    ReportTitle => "上报事件", "Report a matter";
    ReportNotPermitted => "您的角色不能上报事件。", "Your role does not report matters.";
    ReportPickPlace => "请先选择事发地点（逐级选择到村、社区或网格），或使用手机定位。", "First choose where it happened (down to the village, community or grid), or let the phone find it.";
    ReportNoGridHere => "未能根据位置找到所在网格，请逐级选择地点。", "No grid was found at this position; choose the place level by level.";
    UseMyPosition => "使用我的位置", "Use my position";
    ReportUp => "返回上一级", "Up one level";
    ReportPlace => "事发地点", "Place";
    ReportChangePlace => "更改地点", "Change place";
    ReportGrid => "所在网格", "Grid";
    ReportWhat => "事件类别", "What kind of matter";
    ReportPosition => "位置（可选）", "Position (optional)";
    Latitude => "纬度", "Latitude";
    Longitude => "经度", "Longitude";
    ReportPhotos => "现场照片或材料", "Photos or documents";
    ReportContact => "联系人（可选）", "Contact (optional)";
    ReportSubmit => "提交上报", "Submit report";
    ReportChooseFilesAgain => "请重新选择照片后再提交。", "Choose the photos again before sending.";
    LocateWorking => "正在定位……", "Finding your position…";
    LocateFailed => "无法获取位置，请手动填写或逐级选择。", "The position is not available; type it or choose the place.";
    LocateDone => "已获取位置", "Position found";
    RetrySending => "网络不稳定，正在重新提交……", "The connection dropped; sending again…";
    Attachments => "材料与照片", "Documents and photos";
    NoAttachments => "暂无附件。", "No files yet.";
    TakenAt => "拍摄时间", "Taken at";
    TakenWhere => "拍摄位置", "Taken where";
    CommandReport => "登记", "Report";
    EventReported => "登记", "Reported";
    EventAccepted => "受理", "Accepted";
    EventDeclined => "不予受理", "Declined";
    EventResolvedAtFirstContact => "首问办结", "Resolved at first contact";
    EventTriaged => "研判分级", "Triaged";
    EventDispatched => "分流交办", "Dispatched";
    EventAcknowledged => "签收", "Acknowledged";
    EventReturned => "退回", "Returned";
    EventPartConfirmed => "配合部门确认", "Part confirmed";
    EventExtensionRequested => "申请延期", "Extension requested";
    EventExtensionApproved => "批准延期", "Extension approved";
    EventExtensionRefused => "不批准延期", "Extension refused";
    EventSupervised => "督办", "Supervised";
    EventEscalated => "上报", "Escalated";
    EventResolved => "办结", "Resolved";
    EventVerified => "核查通过", "Verified";
    EventReworkRequested => "返工", "Rework requested";
    EventFollowedUp => "回访", "Followed up";
    EventArchived => "归档销号", "Archived";
    EventAttached => "上传附件", "File attached";
    EventDeadlineWarned => "临期提醒", "Deadline near";
    EventOverdue => "已超期", "Overdue";
    EventClockPaused => "中止计时", "Clock stopped";
    EventClockResumed => "恢复计时", "Clock started again";
    RoleGridWorker => "网格员", "Grid worker";
    RoleIntakeClerk => "受理员", "Intake clerk";
    RoleDispatcher => "调度员", "Dispatcher";
    RoleUnitHandler => "承办人", "Unit handler";
    RoleMediator => "调解员", "Mediator";
    RoleCaseLeader => "包案领导", "Case leader";
    RoleSupervisor => "督办员", "Supervisor";
    RoleLeader => "领导", "Leader";
    RoleSystemAdmin => "系统管理员", "System administrator";
    RoleSecurityAdmin => "安全管理员", "Security administrator";
    RoleAuditor => "审计员", "Auditor";
    RoleResident => "居民", "Resident";
    KindDispute => "矛盾纠纷", "Dispute";
    KindRequest => "诉求", "Request";
    KindHazard => "隐患", "Hazard";
    KindConsultation => "咨询", "Consultation";
    KindPetition => "信访", "Petition";
    ChannelWindow => "窗口", "Window";
    ChannelHotline => "热线", "Hotline";
    ChannelGridReport => "网格上报", "Grid report";
    ChannelOnline => "网上", "Online";
    ChannelOpen311 => "Open311 接口", "Open311";
    ChannelReferral => "转办", "Referral";
    ComplexitySimple => "简单", "Simple";
    ComplexityComplex => "复杂", "Complex";
    OutcomeSettled => "调解成功", "Settled";
    OutcomeHandled => "办理完毕", "Handled";
    OutcomeNotSettled => "未化解", "Not settled";
    OutcomeWithdrawn => "撤回", "Withdrawn";
    SatisfactionSatisfied => "满意", "Satisfied";
    SatisfactionBasicallySatisfied => "基本满意", "Basically satisfied";
    SatisfactionDissatisfied => "不满意", "Dissatisfied";
    ReferralLitigation => "诉讼", "Litigation";
    ReferralArbitration => "仲裁", "Arbitration";
    ReferralAdministrative => "行政途径", "Administrative channel";
    ReferralPetition => "信访", "Petition";
    ReferralPolice => "公安", "Police";
    ReferralOther => "其他", "Other";
    PartyApplicant => "申请人", "Applicant";
    PartyRespondent => "被申请人", "Respondent";
    PartyThirdParty => "第三人", "Third party";
}

pub fn state(state: CaseState) -> Msg {
    match state {
        CaseState::Reported => Msg::StateReported,
        CaseState::Accepted => Msg::StateAccepted,
        CaseState::Declined => Msg::StateDeclined,
        CaseState::Triaged => Msg::StateTriaged,
        CaseState::Dispatched => Msg::StateDispatched,
        CaseState::InProgress => Msg::StateInProgress,
        CaseState::Resolved => Msg::StateResolved,
        CaseState::Verified => Msg::StateVerified,
        CaseState::FollowedUp => Msg::StateFollowedUp,
        CaseState::Archived => Msg::StateArchived,
    }
}

pub fn urgency(urgency: Option<Urgency>) -> Msg {
    match urgency {
        None => Msg::UrgencyNone,
        Some(Urgency::Red) => Msg::UrgencyRed,
        Some(Urgency::Orange) => Msg::UrgencyOrange,
        Some(Urgency::Yellow) => Msg::UrgencyYellow,
        Some(Urgency::Green) => Msg::UrgencyGreen,
    }
}

pub fn command(kind: CommandKind) -> Msg {
    match kind {
        CommandKind::Report => Msg::CommandReport,
        CommandKind::Accept => Msg::CommandAccept,
        CommandKind::Decline => Msg::CommandDecline,
        CommandKind::ResolveAtFirstContact => Msg::CommandResolveAtFirstContact,
        CommandKind::Triage => Msg::CommandTriage,
        CommandKind::Dispatch => Msg::CommandDispatch,
        CommandKind::Acknowledge => Msg::CommandAcknowledge,
        CommandKind::Return => Msg::CommandReturn,
        CommandKind::ConfirmPart => Msg::CommandConfirmPart,
        CommandKind::RequestExtension => Msg::CommandRequestExtension,
        CommandKind::ApproveExtension => Msg::CommandApproveExtension,
        CommandKind::RefuseExtension => Msg::CommandRefuseExtension,
        CommandKind::Supervise => Msg::CommandSupervise,
        CommandKind::Escalate => Msg::CommandEscalate,
        CommandKind::Resolve => Msg::CommandResolve,
        CommandKind::Verify => Msg::CommandVerify,
        CommandKind::Rework => Msg::CommandRework,
        CommandKind::FollowUp => Msg::CommandFollowUp,
        CommandKind::Archive => Msg::CommandArchive,
        CommandKind::Attach => Msg::CommandAttach,
        CommandKind::PauseClock => Msg::CommandPauseClock,
        CommandKind::ResumeClock => Msg::CommandResumeClock,
    }
}

/// An event by its stable name (`EventKind::name`).
pub fn event(name: &str) -> Option<Msg> {
    Some(match name {
        "reported" => Msg::EventReported,
        "accepted" => Msg::EventAccepted,
        "declined" => Msg::EventDeclined,
        "resolved_at_first_contact" => Msg::EventResolvedAtFirstContact,
        "triaged" => Msg::EventTriaged,
        "dispatched" => Msg::EventDispatched,
        "acknowledged" => Msg::EventAcknowledged,
        "returned" => Msg::EventReturned,
        "part_confirmed" => Msg::EventPartConfirmed,
        "extension_requested" => Msg::EventExtensionRequested,
        "extension_approved" => Msg::EventExtensionApproved,
        "extension_refused" => Msg::EventExtensionRefused,
        "supervised" => Msg::EventSupervised,
        "escalated" => Msg::EventEscalated,
        "resolved" => Msg::EventResolved,
        "verified" => Msg::EventVerified,
        "rework_requested" => Msg::EventReworkRequested,
        "followed_up" => Msg::EventFollowedUp,
        "archived" => Msg::EventArchived,
        "attached" => Msg::EventAttached,
        "deadline_warned" => Msg::EventDeadlineWarned,
        "overdue" => Msg::EventOverdue,
        "clock_paused" => Msg::EventClockPaused,
        "clock_resumed" => Msg::EventClockResumed,
        _ => return None,
    })
}

pub fn level(level: RegionLevel) -> Msg {
    match level {
        RegionLevel::Province => Msg::LevelProvince,
        RegionLevel::City => Msg::LevelCity,
        RegionLevel::County => Msg::LevelCounty,
        RegionLevel::Town => Msg::LevelTown,
        RegionLevel::Village => Msg::LevelVillage,
        RegionLevel::Grid => Msg::LevelGrid,
    }
}

pub fn unit_kind(kind: UnitKind) -> Msg {
    match kind {
        UnitKind::Department => Msg::UnitDepartment,
        UnitKind::GovernanceCentre => Msg::UnitGovernanceCentre,
        UnitKind::MediationCommittee => Msg::UnitMediationCommittee,
        UnitKind::Court => Msg::UnitCourt,
        UnitKind::PoliceStation => Msg::UnitPoliceStation,
        UnitKind::JusticeOffice => Msg::UnitJusticeOffice,
        UnitKind::VillageCommittee => Msg::UnitVillageCommittee,
        UnitKind::Other => Msg::UnitOther,
    }
}

pub fn role(role: Role) -> Msg {
    match role {
        Role::GridWorker => Msg::RoleGridWorker,
        Role::IntakeClerk => Msg::RoleIntakeClerk,
        Role::Dispatcher => Msg::RoleDispatcher,
        Role::UnitHandler => Msg::RoleUnitHandler,
        Role::Mediator => Msg::RoleMediator,
        Role::CaseLeader => Msg::RoleCaseLeader,
        Role::Supervisor => Msg::RoleSupervisor,
        Role::Leader => Msg::RoleLeader,
        Role::SystemAdmin => Msg::RoleSystemAdmin,
        Role::SecurityAdmin => Msg::RoleSecurityAdmin,
        Role::Auditor => Msg::RoleAuditor,
        Role::System => Msg::RoleSystem,
        Role::Resident => Msg::RoleResident,
    }
}

pub fn kind(kind: CaseKind) -> Msg {
    match kind {
        CaseKind::Dispute => Msg::KindDispute,
        CaseKind::Request => Msg::KindRequest,
        CaseKind::Hazard => Msg::KindHazard,
        CaseKind::Consultation => Msg::KindConsultation,
        CaseKind::Petition => Msg::KindPetition,
    }
}

pub fn channel(channel: Channel) -> Msg {
    match channel {
        Channel::Window => Msg::ChannelWindow,
        Channel::Hotline => Msg::ChannelHotline,
        Channel::GridReport => Msg::ChannelGridReport,
        Channel::Online => Msg::ChannelOnline,
        Channel::Open311 => Msg::ChannelOpen311,
        Channel::Referral => Msg::ChannelReferral,
    }
}

pub fn party_role(role: PartyRole) -> Msg {
    match role {
        PartyRole::Applicant => Msg::PartyApplicant,
        PartyRole::Respondent => Msg::PartyRespondent,
        PartyRole::ThirdParty => Msg::PartyThirdParty,
    }
}

pub const COMPLEXITIES: [(Complexity, &str, Msg); 2] = [
    (Complexity::Simple, "simple", Msg::ComplexitySimple),
    (Complexity::Complex, "complex", Msg::ComplexityComplex),
];

pub const URGENCIES: [(Urgency, &str); 4] = [
    (Urgency::Red, "red"),
    (Urgency::Orange, "orange"),
    (Urgency::Yellow, "yellow"),
    (Urgency::Green, "green"),
];

pub const OUTCOMES: [(Outcome, &str, Msg); 4] = [
    (Outcome::Settled, "settled", Msg::OutcomeSettled),
    (Outcome::Handled, "handled", Msg::OutcomeHandled),
    (Outcome::NotSettled, "not_settled", Msg::OutcomeNotSettled),
    (Outcome::Withdrawn, "withdrawn", Msg::OutcomeWithdrawn),
];

pub const SATISFACTIONS: [(Satisfaction, &str, Msg); 3] = [
    (
        Satisfaction::Satisfied,
        "satisfied",
        Msg::SatisfactionSatisfied,
    ),
    (
        Satisfaction::BasicallySatisfied,
        "basically_satisfied",
        Msg::SatisfactionBasicallySatisfied,
    ),
    (
        Satisfaction::Dissatisfied,
        "dissatisfied",
        Msg::SatisfactionDissatisfied,
    ),
];

/// The label of a rate by its key (`Tally::rates`).
pub fn rate(key: &str) -> Msg {
    match key {
        "closure_rate" => Msg::RateClosure,
        "on_time_rate" => Msg::RateOnTime,
        "mediation_success_rate" => Msg::RateMediationSuccess,
        "first_contact_rate" => Msg::RateFirstContact,
        "rework_rate" => Msg::RateRework,
        "satisfaction_rate" => Msg::RateSatisfaction,
        _ => Msg::RateLocal,
    }
}

pub const PAUSE_REASONS: [(PauseReason, &str, Msg); 3] = [
    (
        PauseReason::AwaitingParty,
        "awaiting_party",
        Msg::PauseAwaitingParty,
    ),
    (PauseReason::Appraisal, "appraisal", Msg::PauseAppraisal),
    (
        PauseReason::AwaitingAuthority,
        "awaiting_authority",
        Msg::PauseAwaitingAuthority,
    ),
];

/// The label of a reason for stopping the clock.
pub fn pause_reason(reason: PauseReason) -> Msg {
    PAUSE_REASONS
        .iter()
        .find(|(r, _, _)| *r == reason)
        .map_or(Msg::PauseAwaitingParty, |(_, _, msg)| *msg)
}

pub const REFERRALS: [(ReferralChannel, &str, Msg); 6] = [
    (
        ReferralChannel::Litigation,
        "litigation",
        Msg::ReferralLitigation,
    ),
    (
        ReferralChannel::Arbitration,
        "arbitration",
        Msg::ReferralArbitration,
    ),
    (
        ReferralChannel::Administrative,
        "administrative",
        Msg::ReferralAdministrative,
    ),
    (ReferralChannel::Petition, "petition", Msg::ReferralPetition),
    (ReferralChannel::Police, "police", Msg::ReferralPolice),
    (ReferralChannel::Other, "other", Msg::ReferralOther),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn is_cjk(c: char) -> bool {
        ('\u{2e80}'..='\u{9fff}').contains(&c) || ('\u{ff00}'..='\u{ffef}').contains(&c)
    }

    #[test]
    fn every_message_has_chinese_and_english_text() {
        for msg in Msg::ALL {
            let zh = msg.text(Lang::Zh);
            let en = msg.text(Lang::En);
            assert!(!zh.trim().is_empty(), "{msg:?} has no Chinese text");
            assert!(!en.trim().is_empty(), "{msg:?} has no English text");
            // The language names are each written in their own language in both catalogues.
            if !matches!(msg, Msg::LanguageZh | Msg::LanguageEn) {
                assert!(zh.chars().any(is_cjk), "{msg:?}: `{zh}` is not Chinese");
                assert!(!en.chars().any(is_cjk), "{msg:?}: `{en}` is not English");
            }
        }
    }

    #[test]
    fn every_state_command_and_event_has_a_label() {
        for kind in CommandKind::ALL {
            assert!(!command(kind).text(Lang::Zh).is_empty());
        }
        for state in CaseState::ALL {
            assert!(!super::state(state).text(Lang::En).is_empty());
        }
        for name in [
            "reported",
            "accepted",
            "declined",
            "resolved_at_first_contact",
            "triaged",
            "dispatched",
            "acknowledged",
            "returned",
            "part_confirmed",
            "extension_requested",
            "extension_approved",
            "extension_refused",
            "supervised",
            "escalated",
            "resolved",
            "verified",
            "rework_requested",
            "followed_up",
            "archived",
        ] {
            assert!(event(name).is_some(), "no label for event {name}");
        }
    }
}
