//! Messages people read, Chinese first. Error codes are stable; their texts live here.

/// The language of a response, from `Accept-Language`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// Chinese unless the client prefers English.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let first = header
            .and_then(|h| h.split(',').next())
            .map(|tag| tag.trim().to_ascii_lowercase())
            .unwrap_or_default();
        if first.starts_with("en") {
            Lang::En
        } else {
            Lang::Zh
        }
    }
}

/// The text for an error code, or `None` for codes without a catalogue entry.
pub fn error_message(code: &str, lang: Lang) -> Option<&'static str> {
    let (zh, en) = match code {
        "unauthenticated" => (
            "请先登录或提供有效的访问令牌",
            "Sign in or send a valid API token",
        ),
        "not_found" => ("未找到，或您无权查看", "Not found, or not visible to you"),
        "unknown_command" => ("不支持的操作", "Unknown command"),
        "method_not_allowed" => (
            "该地址不支持此请求方法",
            "This endpoint does not take this method",
        ),
        "version_required" => (
            "请在 If-Match 中注明您看到的版本",
            "Name the version you saw in If-Match",
        ),
        "version_mismatch" => (
            "该事件已被他人更新，请刷新后重试",
            "The case was changed by someone else; reload and try again",
        ),
        "idempotency_key_reused" => (
            "该幂等键已用于另一个请求",
            "This idempotency key was used for a different request",
        ),
        "idempotency_in_flight" => (
            "相同的请求正在处理中，请稍候",
            "The same request is still being processed",
        ),
        "invalid_json" => ("请求内容不是有效的 JSON", "The body is not valid JSON"),
        "invalid_body" => (
            "请求内容缺少字段或字段类型不对",
            "A field is missing or of the wrong type",
        ),
        "unsupported_media_type" => (
            "请求内容类型须为 application/json",
            "The content type must be application/json",
        ),
        "body_too_large" => ("请求内容过大", "The request body is too large"),
        "invalid_query" => ("查询参数无效", "Invalid query parameter"),
        "command_not_allowed" => (
            "事件当前状态下不能进行此操作",
            "Not allowed in the case's current state",
        ),
        "forbidden" => ("您无权进行此操作", "You may not do this"),
        "audit_not_permitted" => (
            "只有审计员可以查询审计日志",
            "Only an auditor may search the audit log",
        ),
        "personal_data_not_permitted" => (
            "您的角色无权查看当事人的完整个人信息",
            "Your role may not see parties' personal data in full",
        ),
        "unit_not_responsible" => (
            "该单位不负责此事件所在区域或类型",
            "The unit is not responsible for the case's region or category",
        ),
        "supporting_units_pending" => (
            "尚有配合部门未确认办理情况",
            "Some supporting units have not confirmed their part",
        ),
        "no_pending_extension" => ("没有待审批的延期申请", "No extension request is waiting"),
        "extension_already_pending" => (
            "已有延期申请待审批",
            "An extension request is already waiting",
        ),
        "no_higher_level" => ("已是最高层级，无法再上报", "Already at the top level"),
        "part_already_confirmed" => ("本单位已确认过", "Your unit has already confirmed its part"),
        "unknown_region" => ("区划代码不存在", "No such region"),
        "invalid_region_code" => ("区划代码格式不正确", "Malformed region code"),
        "region_not_village_or_grid" => (
            "事件须登记到村（社区）或网格",
            "A case is reported in a village or a grid",
        ),
        "unknown_category" => ("纠纷类型不存在", "No such category"),
        "unknown_unit" => ("单位不存在", "No such unit"),
        "unknown_user" => ("用户不存在", "No such user"),
        "invalid_time" => (
            "时间格式不正确，须为 RFC 3339 格式，如 2026-03-02T09:00:00+08:00",
            "Invalid time; use RFC 3339, e.g. 2026-03-02T09:00:00+08:00",
        ),
        "invalid_time_range" => (
            "结束时间须晚于开始时间",
            "The end time must be later than the start time",
        ),
        "invalid_id_number" => ("身份证号码不正确", "Invalid resident ID number"),
        "invalid_phone" => ("手机号码不正确", "Invalid mobile number"),
        "invalid_party_name" => ("当事人姓名不正确", "Invalid party name"),
        "invalid_position" => ("坐标不正确", "Invalid position"),
        "invalid_grid_number" => (
            "网格编号须为村（社区）下的 1–999",
            "A grid is numbered 1–999 under a village",
        ),
        "duplicate_grid_number" => (
            "文件中有重复的网格编号",
            "The file numbers two grids the same",
        ),
        "invalid_geojson" => (
            "网格文件须为 GeoJSON 要素集合（FeatureCollection）",
            "A grid file is a GeoJSON FeatureCollection",
        ),
        "invalid_geometry" => ("网格范围的几何数据格式不正确", "Malformed grid geometry"),
        "unsupported_geometry" => (
            "网格范围须为多边形（Polygon 或 MultiPolygon）",
            "A grid is a Polygon or a MultiPolygon",
        ),
        "ring_not_closed" => (
            "多边形边界未闭合：最后一个点须与第一个点相同",
            "A ring is not closed: its last position must repeat the first",
        ),
        "ring_too_short" => (
            "多边形边界至少需要 4 个点（含闭合点）",
            "A ring needs at least 4 positions, the closing one included",
        ),
        "degenerate_ring" => ("多边形边界围成的面积为零", "A ring encloses no area"),
        "invalid_coordinate" => (
            "坐标须为 [经度, 纬度]，经度在 ±180、纬度在 ±90 之内",
            "A position is [longitude, latitude] within ±180 and ±90",
        ),
        "too_many_vertices" => (
            "网格范围的顶点过多（至多 10000 个）",
            "The grid's shape has too many positions (at most 10,000)",
        ),
        "invalid_value" => ("取值无效", "Invalid value"),
        "file_empty" => ("文件是空的", "The file is empty"),
        "file_too_large" => (
            "文件超过 10 MB，请压缩或拆分后再上传",
            "The file is over 10 MB; compress or split it and try again",
        ),
        "unsupported_file_type" => (
            "只能上传 JPEG、PNG、WebP 图片或 PDF 文件",
            "Only JPEG, PNG and WebP images and PDF files are accepted",
        ),
        "unreadable_file" => (
            "文件已损坏或不完整，无法读取，请重新上传",
            "The file is damaged or incomplete and cannot be read; upload it again",
        ),
        "unknown_file" => (
            "找不到该文件，请先上传",
            "No such file is stored; upload it first",
        ),
        "invalid_digest" => ("文件标识格式不正确", "Malformed file digest"),
        "clock_already_paused" => (
            "该事件已中止计时，请先恢复计时",
            "The case's clock is already stopped; start it again first",
        ),
        "clock_not_paused" => ("该事件未中止计时", "The case's clock is not stopped"),
        "pause_not_allowed" => (
            "办理时限规则不允许因此原因中止计时",
            "The deadline policy does not let the clock stop for this reason",
        ),
        "extension_limit_reached" => (
            "该事件已延期 2 次，不能再申请延期；请申请督办或提级处理",
            "The case has had its 2 extensions; ask for supervision or escalation instead",
        ),
        "calendar_year_not_covered" => (
            "工作日历尚未收录该年度的节假日安排，无法计算时限，请联系系统管理员更新",
            "The working-day calendar has no holiday arrangement for that year yet; ask the system administrator to update it",
        ),
        "invalid_span" => (
            "时限须在 1 小时至 1 年之间，或 1 至 366 天",
            "A span is 1 hour to a year, or 1 to 366 days",
        ),
        "no_fallback_rule" => (
            "须保留一条不限条件的规则，使每件事件都有时限",
            "One rule must name no criteria, so that every case has deadlines",
        ),
        "invalid_outcome" => ("办结结果无效", "Invalid outcome"),
        "invalid_idempotency_key" => ("幂等键格式不正确", "Invalid idempotency key"),
        "required" => ("此项为必填", "This field is required"),
        "too_long" => ("内容超过长度限制", "Too long"),
        "control_character" => ("内容含有不可见的控制字符", "Contains a control character"),
        "too_many" => ("数量超过限制", "Too many"),
        "due_in_the_past" => (
            "办结期限须晚于当前时间",
            "The due time must be in the future",
        ),
        "lead_unit_also_supporting" => (
            "主责部门不能同时是配合部门",
            "The lead unit cannot also be a supporting unit",
        ),
        "duplicate_unit" => ("配合部门重复", "A supporting unit is named twice"),
        "extension_not_later" => (
            "延期须晚于当前办结期限",
            "An extension must end after the current due time",
        ),
        "referral_required" => (
            "未化解的事件须注明引导渠道",
            "Name where the case is referred",
        ),
        "referral_only_when_not_settled" => (
            "只有未化解的事件才需引导",
            "Only a case that is not settled is referred",
        ),
        "rework_needs_a_unit" => (
            "首问办结的事件没有可返工的单位",
            "A case resolved at first contact has no unit to rework it",
        ),
        "invalid_credentials" => (
            "用户名、密码或动态口令不正确",
            "Wrong name, password or code",
        ),
        "totp_code_required" => (
            "请输入身份验证器上的六位动态口令",
            "Enter the six-digit code from your authenticator",
        ),
        "sign_in_locked" => (
            "登录失败次数过多，请稍后再试",
            "Too many failed sign-ins; try again later",
        ),
        "password_change_required" => ("请先修改初始密码", "Change your initial password first"),
        "totp_enrolment_required" => (
            "请先绑定身份验证器（动态口令）",
            "Enrol an authenticator (TOTP) first",
        ),
        "staff_only" => ("仅限工作人员使用", "For staff only"),
        "totp_already_enrolled" => ("已绑定身份验证器", "An authenticator is already enrolled"),
        "totp_not_started" => (
            "请先开始绑定身份验证器",
            "Start the authenticator enrolment first",
        ),
        "invalid_totp_code" => ("动态口令不正确", "The code is not correct"),
        "csrf_token_invalid" => (
            "页面已过期或请求来源不可信，请刷新后重试",
            "The request lacks a valid CSRF token; reload and try again",
        ),
        "password_too_short" => (
            "密码至少需要 10 个字符",
            "A password has at least 10 characters",
        ),
        "password_too_long" => ("密码过长", "The password is too long"),
        "password_contains_name" => (
            "密码不能包含用户名",
            "A password may not contain the user name",
        ),
        "password_too_common" => (
            "密码过于常见，请换一个不易猜到的密码",
            "This password is too common; choose one that is hard to guess",
        ),
        "password_unchanged" => (
            "新密码不能与当前密码相同",
            "The new password must differ from the current one",
        ),
        "wrong_password" => ("当前密码不正确", "The current password is wrong"),
        "shutting_down" => (
            "服务正在停止，请稍后重试",
            "The server is shutting down; retry shortly",
        ),
        "too_many_attempts" => (
            "尝试次数过多，请稍后再试",
            "Too many attempts; try again later",
        ),
        "too_many_requests" => (
            "来自本地址的请求过于频繁，请稍后再试",
            "Too many such requests from this address; try again shortly",
        ),
        "request_timeout" => (
            "请求处理超时，请稍后重试",
            "The request took too long; retry shortly",
        ),
        "invalid_tracking_code" => ("查询码不正确", "Invalid tracking code"),
        "invalid_sign_in_code" => (
            "验证码不正确或已失效，请重新获取",
            "The code is wrong or no longer valid; request a new one",
        ),
        "invalid_code_format" => ("验证码为六位数字", "The code is six digits"),
        "sms_unavailable" => (
            "短信暂时无法发送，请稍后再试",
            "The text message cannot be sent right now; try again later",
        ),
        "internal" => ("服务内部错误，请稍后重试", "Internal error; retry shortly"),
        _ => return None,
    };
    Some(if lang == Lang::Zh { zh } else { en })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sign_in_error_reads_in_chinese_and_english() {
        for code in [
            "invalid_credentials",
            "totp_code_required",
            "sign_in_locked",
            "password_change_required",
            "totp_enrolment_required",
            "staff_only",
            "totp_already_enrolled",
            "totp_not_started",
            "invalid_totp_code",
            "csrf_token_invalid",
            "password_too_short",
            "password_too_long",
            "password_contains_name",
            "password_too_common",
            "password_unchanged",
            "wrong_password",
            "control_character",
            "invalid_sign_in_code",
            "invalid_code_format",
            "sms_unavailable",
            "too_many_attempts",
            "too_many_requests",
            "request_timeout",
            "invalid_phone",
        ] {
            let zh = error_message(code, Lang::Zh).unwrap_or_else(|| panic!("no text for {code}"));
            let en = error_message(code, Lang::En).unwrap_or_else(|| panic!("no text for {code}"));
            assert!(zh.chars().any(|c| c > '\u{2e80}'), "{code}: {zh}");
            assert!(en.is_ascii(), "{code}: {en}");
        }
    }
}
