// Simplified Chinese and English. The choice is remembered in localStorage;
// the first visit follows the browser's language.

const KEY = "miniauth.lang";

const en = {
  signOut: "Sign out", tenants: "Tenants", platformAudit: "Platform audit log",
  networkError: "The server cannot be reached.", unexpected: "Something went wrong.",
  confirm: "Confirm", cancel: "Cancel",
  signIn: "Sign in", signInTitle: "Sign in to miniauth", email: "Email", password: "Password",
  tooManyAttempts: "Too many failed attempts.",
  status_active: "active", status_disabled: "disabled", status_banned: "banned",
  slug: "Slug", name: "Name", status: "Status", created: "Created",
  createTenant: "Create tenant", newTenant: "New tenant", tenantCreated: "Tenant created.",
  secretWriteOnly: "The AppSecret is write-only: it is stored sealed and never shown again.",
  noTenants: "No tenants yet.", tenantNotFound: "No such tenant.",
  tab_overview: "Overview", tab_apps: "Apps", tab_users: "Users", tab_sessions: "Sessions",
  tab_audit: "Audit log", tab_settings: "Settings", tab_backends: "Backends",
  users: "Users", loginsToday: "Logins today", activeSessions: "Active sessions", banned: "Banned",
  lastWeChatErrors: "Last WeChat errors", time: "Time", noWeChatErrors: "No WeChat errors recently.",
  quotaExhausted: "WeChat's daily API quota of this app is used up (errcode 45009): logins and access tokens fail until midnight Beijing time. Clear the quota on WeChat's platform, and find what calls WeChat so often.",
  blockedUser: "a user WeChat blocks as high-risk (shown wechat_user_blocked)",
  testCredentials: "Test credentials", credentialsOK: "WeChat accepts the stored credentials.",
  credentialsBad: "WeChat refused the stored credentials", makeDefault: "Make default", saved: "Saved.",
  newSecret: "New AppSecret", rotateSecret: "Rotate secret",
  confirmRotate: "Replace the AppSecret of {appid}? Logins use the new one at once.",
  secretRotated: "AppSecret replaced.", default: "default", writeOnly: "write-only",
  addApp: "Add app", addMiniProgram: "Add a mini-program",
  searchUsers: "User id, openid, unionid, phone or nickname", search: "Search",
  searchHint: "Ids, openids, unionids and phone numbers match exactly; nicknames by their beginning.",
  previous: "Previous", next: "Next", userId: "User id", nickname: "Nickname", lastLogin: "Last login",
  noUsers: "No users found.", userNotFound: "No such user.", backToUsers: "Back to users",
  unban: "Unban", ban: "Ban", confirmBan: "Ban this user? Their sessions end now and they cannot log in.",
  userUnbanned: "User unbanned.", userBanned: "User banned.",
  revokeUserSessions: "Revoke all sessions", confirmRevokeUser: "End every session of this user?",
  revoke: "Revoke", sessionsRevoked: "{n} session(s) revoked.",
  deleteUser: "Delete user",
  confirmDeleteUser: "Delete this user with their identities and sessions? This cannot be undone; the same WeChat user logging in again becomes a new user.",
  userDeleted: "User deleted.", confirmRevokeOne: "End this session?", sessionRevoked: "Session revoked.",
  unnamed: "(no nickname)", phone: "Phone", identities: "WeChat identities", session: "Session",
  idleExpires: "Expires if idle", lastSeen: "Last seen", userAgent: "User agent", noSessions: "No active sessions.",
  revokeAllTenant: "Revoke every session of this tenant",
  confirmRevokeTenant: "End every session of every user of {tenant}? Everyone must log in again.",
  tenantSessionsRevoked: "All sessions of the tenant revoked.",
  revokeAllHint: "Every user of the tenant is logged out at once, on every server. Use it after a leak.",
  userSessions: "Sessions of one user", userSessionsHint: "Find the user to list and revoke their sessions.",
  idleSeconds: "Idle session lifetime (seconds)", absoluteSeconds: "Absolute session lifetime (seconds)",
  registration: "Registration of new users", reg_auto: "Automatic", reg_signup: "Sign-up required",
  reg_existing_only: "Existing users only", save: "Save", remove: "Remove",
  nicknameCheck: "Check nicknames with WeChat (msg_sec_check)", nicknameCheckFailOpen: "Accept nicknames when the check cannot run",
  nicknameCheckHint: "Risky nicknames are refused; those WeChat marks for review are accepted and audited.",
  verifyFiles: "Domain verification files", verifyFilesHint: "An official account's web-authorization domain must serve the MP_verify_….txt file WeChat's console offers; upload it here and it is served at the root of this domain.",
  verifyFile: "MP_verify_….txt file", uploadVerifyFile: "Upload", updated: "Updated", verifyPath: "Path", verifyContent: "Content",
  noVerifyFiles: "No verification files.", confirmRemoveVerifyFile: "Remove {name}? WeChat can no longer verify the domain with it.",
  confirmRemoveAdmin: "Remove the admin {email}?", tenantAdmins: "Tenant admins", noAdmins: "No tenant admins.",
  addAdmin: "Add admin", enableTenant: "Enable tenant", disableTenant: "Disable tenant",
  confirmDisable: "Disable {tenant}? Every login is refused and every session ends at once.",
  deleteTenant: "Delete tenant",
  confirmDeleteTenant: "Delete {tenant} with all its apps, users and admins? This cannot be undone.",
  tenantDeleted: "Tenant deleted.", dangerZone: "Danger zone",
  disableHint: "Disabling refuses every login with tenant_disabled and ends every session; enabling restores logins.",
  actionFilter: "Action, e.g. user. or user.banned", action: "Action", actorFilter: "Actor", actor: "Actor",
  targetFilter: "Target id", target: "Target", filter: "Filter", older: "Older entries", tenant: "Tenant",
  details: "Details", noAudit: "No entries.",
  // Charts of use (chart.js)
  chartDay: "Day", chartShowTable: "Show as table", chartCause: "Cause", chartCount: "Count",
  chartSummarySum: "{label}: {total} in all from {from} to {to}; {last} on {to}; at most {max} a day.",
  chartSummaryLevel: "{label}: {last} on {to}; at most {max} from {from} to {to}.",
  chartNoFailures: "No failed logins in this period.",
  chartLogins: "Logins", chartNewUsers: "New users", chartFailed: "Failed logins",
  chartDAU: "Daily active users", chartMAU: "Monthly active users (30 days)", chartFailedByCause: "Failed logins by cause",
  chartLast30: "Last 30 days", chartLast90: "Last 90 days", chartAllApps: "All apps", chartAllWays: "All ways in",
  chartZone: "Days are counted in Beijing time (Asia/Shanghai).",
  way_miniprogram: "Mini-program", way_oauth: "WeChat web OAuth", way_sms: "SMS", way_app: "Mobile app", way_website: "Website",
  cause_invalid_code: "Invalid or used code", cause_wechat_unavailable: "WeChat unavailable", cause_user_banned: "User banned",
  cause_rate_limited: "Rate limited", cause_tenant_misconfigured: "Wrong AppID or AppSecret",
  cause_tenant_disabled: "Tenant disabled", cause_wechat_user_blocked: "Blocked by WeChat as high-risk",
  cause_wechat_quota_exhausted: "WeChat's daily quota used up", cause_not_registered: "Not registered",
  cause_invalid_sms_code: "Wrong SMS code", cause_snapshot_user: "WeChat snapshot page", cause_unknown: "Other",
  // Charts of use on the overview and the platform's page (views/usage.js)
  usageTitle: "Use", usagePeriod: "Period", usageApp: "App", usageWay: "Way in",
  usageLoginsPerDay: "Logins per day", usageNewUsersPerDay: "New users per day", usageActiveUsers: "Active users",
  usageMAUNow: "Monthly active users", usageByApp: "By app", usageByWay: "By way in",
  usageNoApp: "No app (SMS)", usageRemovedApp: "A removed app", usageNothing: "No use in this period.",
  platformUsage: "Use of the platform", platformUsageLink: "Use of the platform: charts across tenants",
  usageTopTenants: "Tenants with the most logins", usageTenantCount: "{n} tenant(s) with use in this period.",
  cause_invalid_request: "Bad request", cause_unavailable: "Service unavailable", cause_internal: "Internal error",
  cause_tenant_not_found: "No such tenant", cause_identity_in_use: "Identity bound to another user",
  cause_invalid_state: "Expired or foreign sign-in", cause_phone_in_use: "Phone bound to another user",
};

const zh = {
  signOut: "退出登录", tenants: "租户", platformAudit: "平台审计日志",
  networkError: "无法连接服务器。", unexpected: "出错了。",
  confirm: "确认", cancel: "取消",
  signIn: "登录", signInTitle: "登录 miniauth", email: "邮箱", password: "密码",
  tooManyAttempts: "失败次数过多。",
  status_active: "正常", status_disabled: "已停用", status_banned: "已封禁",
  slug: "标识", name: "名称", status: "状态", created: "创建时间",
  createTenant: "创建租户", newTenant: "新建租户", tenantCreated: "租户已创建。",
  secretWriteOnly: "AppSecret 只写不读：加密保存后不再显示。",
  noTenants: "还没有租户。", tenantNotFound: "租户不存在。",
  tab_overview: "概览", tab_apps: "小程序", tab_users: "用户", tab_sessions: "会话",
  tab_audit: "审计日志", tab_settings: "设置", tab_backends: "后端接入",
  users: "用户数", loginsToday: "今日登录", activeSessions: "活跃会话", banned: "已封禁",
  lastWeChatErrors: "最近的微信错误", time: "时间", noWeChatErrors: "最近没有微信错误。",
  quotaExhausted: "此应用今日的微信接口调用次数已用完（errcode 45009）：北京时间零点前登录与 access_token 都会失败。请在微信平台清零调用次数，并查明是什么在频繁调用微信。",
  blockedUser: "微信判定为高风险的用户被拦截登录（用户看到 wechat_user_blocked）",
  testCredentials: "测试凭据", credentialsOK: "微信接受已保存的凭据。",
  credentialsBad: "微信拒绝了已保存的凭据", makeDefault: "设为默认", saved: "已保存。",
  newSecret: "新的 AppSecret", rotateSecret: "更换密钥",
  confirmRotate: "更换 {appid} 的 AppSecret？登录将立即使用新密钥。",
  secretRotated: "AppSecret 已更换。", default: "默认", writeOnly: "只写",
  addApp: "添加", addMiniProgram: "添加小程序",
  searchUsers: "用户 ID、openid、unionid、手机号或昵称", search: "搜索",
  searchHint: "ID、openid、unionid 和手机号需完全匹配；昵称按开头匹配。",
  previous: "上一页", next: "下一页", userId: "用户 ID", nickname: "昵称", lastLogin: "最近登录",
  noUsers: "没有找到用户。", userNotFound: "用户不存在。", backToUsers: "返回用户列表",
  unban: "解除封禁", ban: "封禁", confirmBan: "封禁该用户？其会话立即失效且无法再登录。",
  userUnbanned: "已解除封禁。", userBanned: "用户已封禁。",
  revokeUserSessions: "撤销全部会话", confirmRevokeUser: "结束该用户的所有会话？",
  revoke: "撤销", sessionsRevoked: "已撤销 {n} 个会话。",
  deleteUser: "删除用户",
  confirmDeleteUser: "删除该用户及其微信身份和会话？此操作不可恢复；同一微信用户再次登录将成为新用户。",
  userDeleted: "用户已删除。", confirmRevokeOne: "结束这个会话？", sessionRevoked: "会话已撤销。",
  unnamed: "（无昵称）", phone: "手机号", identities: "微信身份", session: "会话",
  idleExpires: "闲置过期时间", lastSeen: "最近活动", userAgent: "客户端", noSessions: "没有活跃会话。",
  revokeAllTenant: "撤销本租户的所有会话",
  confirmRevokeTenant: "结束 {tenant} 所有用户的全部会话？所有人都需要重新登录。",
  tenantSessionsRevoked: "本租户的所有会话已撤销。",
  revokeAllHint: "租户的所有用户会在所有服务器上立即退出登录。适用于凭据泄露之后。",
  userSessions: "单个用户的会话", userSessionsHint: "找到用户后可查看并撤销其会话。",
  idleSeconds: "会话闲置有效期（秒）", absoluteSeconds: "会话最长有效期（秒）",
  registration: "新用户注册", reg_auto: "自动注册", reg_signup: "需要注册",
  reg_existing_only: "仅限已有用户", save: "保存", remove: "移除",
  nicknameCheck: "使用微信内容安全检测昵称（msg_sec_check）", nicknameCheckFailOpen: "检测无法进行时仍接受昵称",
  nicknameCheckHint: "有风险的昵称会被拒绝；需人工审核的昵称会被接受并记入审计日志。",
  verifyFiles: "域名校验文件", verifyFilesHint: "公众号的网页授权域名须在根目录提供公众平台给出的 MP_verify_….txt 文件；在此上传后即由本域名根目录提供。",
  verifyFile: "MP_verify_….txt 文件", uploadVerifyFile: "上传", updated: "更新时间", verifyPath: "路径", verifyContent: "内容",
  noVerifyFiles: "没有校验文件。", confirmRemoveVerifyFile: "移除 {name}？公众平台将无法再用它校验域名。",
  confirmRemoveAdmin: "移除管理员 {email}？", tenantAdmins: "租户管理员", noAdmins: "没有租户管理员。",
  addAdmin: "添加管理员", enableTenant: "启用租户", disableTenant: "停用租户",
  confirmDisable: "停用 {tenant}？所有登录将被拒绝，所有会话立即失效。",
  deleteTenant: "删除租户",
  confirmDeleteTenant: "删除 {tenant} 及其全部小程序、用户和管理员？此操作不可恢复。",
  tenantDeleted: "租户已删除。", dangerZone: "危险操作",
  disableHint: "停用后所有登录返回 tenant_disabled，所有会话失效；重新启用后可以再次登录。",
  actionFilter: "操作，例如 user. 或 user.banned", action: "操作", actorFilter: "操作者", actor: "操作者",
  targetFilter: "对象 ID", target: "对象", filter: "筛选", older: "更早的记录", tenant: "租户",
  details: "详情", noAudit: "没有记录。",
  // 使用统计图表（chart.js）
  chartDay: "日期", chartShowTable: "以表格显示", chartCause: "原因", chartCount: "次数",
  chartSummarySum: "{label}：{from} 至 {to} 共 {total}；{to} 为 {last}；单日最多 {max}。",
  chartSummaryLevel: "{label}：{to} 为 {last}；{from} 至 {to} 最多 {max}。",
  chartNoFailures: "此期间没有登录失败。",
  chartLogins: "登录次数", chartNewUsers: "新用户", chartFailed: "登录失败",
  chartDAU: "日活跃用户", chartMAU: "月活跃用户（30 天）", chartFailedByCause: "登录失败原因",
  chartLast30: "最近 30 天", chartLast90: "最近 90 天", chartAllApps: "全部应用", chartAllWays: "全部登录方式",
  chartZone: "按北京时间（Asia/Shanghai）计日。",
  way_miniprogram: "小程序", way_oauth: "微信网页授权", way_sms: "短信", way_app: "移动应用", way_website: "网站",
  cause_invalid_code: "code 无效或已使用", cause_wechat_unavailable: "微信服务不可用", cause_user_banned: "用户已封禁",
  cause_rate_limited: "请求过于频繁", cause_tenant_misconfigured: "AppID 或 AppSecret 错误",
  cause_tenant_disabled: "租户已停用", cause_wechat_user_blocked: "被微信判定为高风险用户",
  cause_wechat_quota_exhausted: "微信每日调用额度已用完", cause_not_registered: "未注册",
  cause_invalid_sms_code: "短信验证码错误", cause_snapshot_user: "微信快照页", cause_unknown: "其他",
  // 概览与平台页的使用统计图表（views/usage.js）
  usageTitle: "使用情况", usagePeriod: "时间范围", usageApp: "应用", usageWay: "登录方式",
  usageLoginsPerDay: "每日登录次数", usageNewUsersPerDay: "每日新用户", usageActiveUsers: "活跃用户",
  usageMAUNow: "月活跃用户", usageByApp: "按应用", usageByWay: "按登录方式",
  usageNoApp: "无应用（短信）", usageRemovedApp: "已移除的应用", usageNothing: "此期间没有使用记录。",
  platformUsage: "平台使用情况", platformUsageLink: "平台使用情况：所有租户的统计图表",
  usageTopTenants: "登录最多的租户", usageTenantCount: "此期间有 {n} 个租户有使用记录。",
  cause_invalid_request: "请求无效", cause_unavailable: "服务暂不可用", cause_internal: "内部错误",
  cause_tenant_not_found: "租户不存在", cause_identity_in_use: "身份已绑定其他用户",
  cause_invalid_state: "登录已过期或非本浏览器发起", cause_phone_in_use: "手机号已绑定其他用户",
};

// The user page's ways in (views/users.js), issue 15.
Object.assign(en, {
  waysIn: "Ways in", wayKind: "Way in", lastUsed: "Last used", neverUsed: "never", notRecorded: "not recorded",
  way_miniprogram: "Mini-program", way_officialaccount: "Official account (H5)", way_mobileapp: "WeChat app (iOS/Android)",
  way_website: "Website QR", way_phone: "Phone",
});
Object.assign(zh, {
  waysIn: "登录方式", wayKind: "方式", lastUsed: "最近使用", neverUsed: "从未", notRecorded: "未记录",
  way_miniprogram: "小程序", way_officialaccount: "公众号（H5）", way_mobileapp: "微信 App 登录（iOS/Android）",
  way_website: "网站扫码", way_phone: "手机号",
});
// Every error code the admin API can answer (api/errors.go), every status
// and key state, and every audit action, in both languages. A Go test
// (api/console_codes_test.go) fails when the API has one the console does
// not map. Kept apart from the tables above so that engineers adding
// screens do not edit the same lines.
const enCodes = {
  err_conflict: "It is taken already, or in a state that does not allow this.", err_csrf_failed: "The page is out of date: reload it.",
  err_forbidden: "Only a platform admin may do this.", err_internal: "Internal error.",
  err_invalid_api_key: "Invalid API key.", err_invalid_code: "The login code is invalid, expired or already used.",
  err_invalid_credentials: "Wrong email or password.", err_invalid_encrypted_data: "The encrypted data does not decrypt.",
  err_invalid_phone_code: "The phone number code is invalid or expired.", err_invalid_redirect_uri: "The redirect URI is not allowed.",
  err_invalid_request: "Invalid input.", err_invalid_session: "The session is invalid or expired.",
  err_invalid_signature: "The signature does not match.", err_invalid_state: "The OAuth state is invalid or expired.",
  err_invalid_ticket: "The sign-up ticket is invalid or expired.", err_method_not_allowed: "Method not allowed.",
  err_nickname_rejected: "WeChat's content check refused the nickname.", err_not_found: "Not found.",
  err_not_registered: "No user of this tenant has this phone number.", err_openid_mismatch: "The data names another WeChat user.",
  err_phone_in_use: "The phone number is bound to another user.", err_rate_limited: "Too many requests.",
  err_request_too_large: "The request is too large.", err_session_key_stale: "WeChat replaced the session key; log in again.",
  err_snapshot_user: "A WeChat snapshot page cannot log in.", err_tenant_disabled: "This tenant is disabled.",
  err_tenant_misconfigured: "WeChat refuses the AppID or AppSecret.", err_tenant_not_found: "No such tenant.",
  err_unauthenticated: "Sign in first.", err_unavailable: "The service is temporarily unavailable; try again.",
  err_unsupported_image: "The image must be JPEG, PNG or WebP.", err_user_banned: "This user is banned.",
  err_wechat_quota_exhausted: "WeChat's daily quota of this app is used up.", err_wechat_unavailable: "WeChat did not answer; try again.",
  err_wechat_user_blocked: "WeChat blocks this user as high-risk.", err_network: "The server cannot be reached.",
  status_pending: "pending", status_succeeded: "succeeded", status_failed: "failed",
  state_current: "current", state_next: "next", state_retired: "retired",
  kind_miniprogram: "Mini-program", kind_officialaccount: "Official account", kind_mobileapp: "Mobile app", kind_website: "Website",
  kind_phone: "Phone",
  err_identity_in_use: "This way in belongs to another user.", err_last_identity: "This is the user's last way in: it cannot be unlinked.",
  audit_user_identity_linked: "Way in linked", audit_user_identity_unlinked: "Way in unlinked",
  audit_admin_created: "Admin added", audit_admin_deleted: "Admin removed", audit_admin_disabled: "Admin disabled",
  audit_admin_enabled: "Admin enabled", audit_admin_invited: "Admin invited", audit_admin_invite_reissued: "Invite issued again",
  audit_admin_invite_accepted: "Invite accepted", audit_admin_locked_out: "Admin locked out", audit_admin_mfa_disabled: "MFA turned off",
  audit_admin_mfa_enabled: "MFA turned on", audit_admin_mfa_failed: "Wrong MFA code", audit_admin_mfa_recovery_code_used: "Recovery code used",
  audit_admin_mfa_recovery_codes_regenerated: "Recovery codes renewed", audit_admin_password_changed: "Password changed",
  audit_admin_signed_in: "Signed in", audit_admin_signin_failed: "Sign-in failed",
  audit_api_key_created: "API key created", audit_api_key_revoked: "API key revoked",
  audit_app_added: "App added", audit_app_made_default: "Default app changed", audit_app_removed: "App removed",
  audit_app_secret_rotated: "AppSecret replaced", audit_app_tested: "Credentials tested",
  audit_mp_verify_deleted: "Verification file removed", audit_mp_verify_uploaded: "Verification file uploaded",
  audit_platform_setting_changed: "Platform setting changed", audit_session_revoked: "Session revoked",
  audit_sessions_revoked_all: "All sessions revoked", audit_sessions_revoked_user: "User's sessions revoked",
  audit_signing_key_emergency_rotated: "Signing key retired at once (emergency)", audit_signing_key_rotated: "Signing keys rotated",
  audit_sms_settings_deleted: "SMS settings removed", audit_sms_settings_updated: "SMS settings changed",
  audit_tenant_created: "Tenant created", audit_tenant_deleted: "Tenant deleted", audit_tenant_updated: "Tenant settings changed",
  audit_tenant_enabled: "Tenant enabled", audit_tenant_disabled: "Tenant disabled",
  audit_user_banned: "User banned", audit_user_unbanned: "User unbanned", audit_user_deleted: "User deleted",
  audit_user_merged: "Users merged", audit_user_nickname_review: "Nickname held for review", audit_users_imported: "Users imported",
  audit_webhook_created: "Webhook added", audit_webhook_deleted: "Webhook deleted", audit_webhook_replayed: "Delivery replayed",
  audit_webhook_secret_rotated: "Webhook secret replaced", audit_webhook_updated: "Webhook changed",
  audit_wechat_access_token_force_refreshed: "WeChat access token force-refreshed",
};

const zhCodes = {
  err_conflict: "已被占用，或当前状态不允许此操作。", err_csrf_failed: "页面已过期，请刷新。",
  err_forbidden: "只有平台管理员可以执行此操作。", err_internal: "内部错误。",
  err_invalid_api_key: "API 密钥无效。", err_invalid_code: "登录 code 无效、已过期或已使用。",
  err_invalid_credentials: "邮箱或密码错误。", err_invalid_encrypted_data: "加密数据无法解密。",
  err_invalid_phone_code: "手机号 code 无效或已过期。", err_invalid_redirect_uri: "回调地址不在允许列表中。",
  err_invalid_request: "输入无效。", err_invalid_session: "会话无效或已过期。",
  err_invalid_signature: "签名不匹配。", err_invalid_state: "OAuth state 无效或已过期。",
  err_invalid_ticket: "注册凭证无效或已过期。", err_method_not_allowed: "不支持该请求方法。",
  err_nickname_rejected: "昵称未通过微信内容安全检测。", err_not_found: "未找到。",
  err_not_registered: "本租户没有使用该手机号的用户。", err_openid_mismatch: "数据属于另一个微信用户。",
  err_phone_in_use: "该手机号已绑定其他用户。", err_rate_limited: "请求过于频繁。",
  err_request_too_large: "请求内容过大。", err_session_key_stale: "微信已更换 session_key，请重新登录。",
  err_snapshot_user: "微信快照页无法登录。", err_tenant_disabled: "此租户已停用。",
  err_tenant_misconfigured: "微信拒绝了 AppID 或 AppSecret。", err_tenant_not_found: "租户不存在。",
  err_unauthenticated: "请先登录。", err_unavailable: "服务暂时不可用，请重试。",
  err_unsupported_image: "图片须为 JPEG、PNG 或 WebP。", err_user_banned: "该用户已被封禁。",
  err_wechat_quota_exhausted: "此应用今日的微信调用额度已用完。", err_wechat_unavailable: "微信未响应，请重试。",
  err_wechat_user_blocked: "微信判定该用户为高风险并拦截。", err_network: "无法连接服务器。",
  status_pending: "等待中", status_succeeded: "成功", status_failed: "失败",
  state_current: "当前", state_next: "下一把", state_retired: "已退役",
  kind_miniprogram: "小程序", kind_officialaccount: "公众号", kind_mobileapp: "移动应用", kind_website: "网站应用",
  kind_phone: "手机号",
  err_identity_in_use: "此登录方式已属于其他用户。", err_last_identity: "这是该用户最后一种登录方式，不能解除。",
  audit_user_identity_linked: "绑定登录方式", audit_user_identity_unlinked: "解除登录方式",
  audit_admin_created: "添加管理员", audit_admin_deleted: "移除管理员", audit_admin_disabled: "停用管理员",
  audit_admin_enabled: "启用管理员", audit_admin_invited: "邀请管理员", audit_admin_invite_reissued: "重新发出邀请",
  audit_admin_invite_accepted: "接受邀请", audit_admin_locked_out: "管理员被锁定", audit_admin_mfa_disabled: "关闭两步验证",
  audit_admin_mfa_enabled: "开启两步验证", audit_admin_mfa_failed: "两步验证码错误", audit_admin_mfa_recovery_code_used: "使用恢复码",
  audit_admin_mfa_recovery_codes_regenerated: "重新生成恢复码", audit_admin_password_changed: "修改密码",
  audit_admin_signed_in: "登录", audit_admin_signin_failed: "登录失败",
  audit_api_key_created: "创建 API 密钥", audit_api_key_revoked: "吊销 API 密钥",
  audit_app_added: "添加应用", audit_app_made_default: "更改默认应用", audit_app_removed: "移除应用",
  audit_app_secret_rotated: "更换 AppSecret", audit_app_tested: "测试凭据",
  audit_mp_verify_deleted: "移除校验文件", audit_mp_verify_uploaded: "上传校验文件",
  audit_platform_setting_changed: "更改平台设置", audit_session_revoked: "撤销会话",
  audit_sessions_revoked_all: "撤销全部会话", audit_sessions_revoked_user: "撤销用户的会话",
  audit_signing_key_emergency_rotated: "紧急停用签名密钥", audit_signing_key_rotated: "轮换签名密钥",
  audit_sms_settings_deleted: "移除短信设置", audit_sms_settings_updated: "更改短信设置",
  audit_tenant_created: "创建租户", audit_tenant_deleted: "删除租户", audit_tenant_updated: "更改租户设置",
  audit_tenant_enabled: "启用租户", audit_tenant_disabled: "停用租户",
  audit_user_banned: "封禁用户", audit_user_unbanned: "解除封禁", audit_user_deleted: "删除用户",
  audit_user_merged: "合并用户", audit_user_nickname_review: "昵称待人工审核", audit_users_imported: "导入用户",
  audit_webhook_created: "添加 Webhook", audit_webhook_deleted: "删除 Webhook", audit_webhook_replayed: "重新投递",
  audit_webhook_secret_rotated: "更换 Webhook 密钥", audit_webhook_updated: "更改 Webhook",
  audit_wechat_access_token_force_refreshed: "强制刷新微信 access_token",
};
Object.assign(en, enCodes);
Object.assign(zh, zhCodes);

// The settings screens and the rough edges (issue 16 items 2, 7–12).
const enPolish = {
  typeToConfirm: "Type {word} to confirm", backToTenants: "Back to the tenants",
  sessionExpired: "Your console session has expired: sign in again to go back where you were.",
  editsKept: "The edits on that page are kept.", editsRestored: "Your unsaved edits were restored after signing in again.",
  tooManyAttemptsWait: "Too many failed sign-ins: wait {wait} before trying again.",
  seconds: "{n} s", minutes: "{n} min",
  slugHint: "3 to 32 lower-case letters, digits or hyphens. It is in every URL of the tenant (/t/<slug>/…) and cannot change.",
  secretRequired: "Enter the AppSecret first.", appidInvalid: "An AppID is wx followed by 6 to 30 letters or digits.",
  appsTitle: "WeChat apps", appKind: "Kind", addAnApp: "Add an app",
  confirmRemoveApp: "Remove {appid}? Users who signed in only through it lose that way in.", appRemoved: "App removed.",
  defaultStays: "The default mini-program stays: make another one the default first.",
  kindHint_miniprogram: "A mini-program logs users in with wx.login codes.",
  kindHint_officialaccount: "An official account (service account) signs users in on H5 pages inside WeChat (web OAuth); its domain needs the verification file below.",
  kindHint_mobileapp: "An Open Platform mobile application: the iOS/Android app signs users in with the WeChat app (SendAuth).",
  kindHint_website: "An Open Platform website application: a browser signs in by scanning a QR code.",
  unit: "Unit", hours: "hours", days: "days",
  idleLifetime: "Idle session lifetime", absoluteLifetime: "Absolute session lifetime",
  lifetimeHint: "A session ends when unused for the idle lifetime, and at the latest after the absolute one (at most a year). Between 1 minute and 400 days.",
  nameRequired: "Enter a name.", lifetimeBounds: "Lifetimes are between 1 minute and 400 days.",
  absoluteShorter: "The absolute lifetime must not be shorter than the idle one.", absoluteYear: "The absolute lifetime is at most a year.",
  reg_auto_hint: "Anyone who logs in with WeChat gets an account at once.",
  reg_signup_hint: "A new WeChat user gets a sign-up ticket; they become a user only when the mini-program registers them (POST /register).",
  reg_existing_only_hint: "Only the users you imported (phone, name, external id) get in: a WeChat user is admitted when their phone number matches one; everyone else is refused (not_registered).",
  nicknameCheckTitle: "Nickname check",
  webTitle: "Web origins and OAuth redirect URIs",
  webHint: "One per line. Origins (https://h5.example.com) get CORS answers; redirect URIs are where web OAuth may send the browser back (https, no query).",
  allowedOrigins: "Allowed origins", redirectURIs: "OAuth redirect URIs",
  rateLimits: "Rate limits", rateLimitsHint: "Empty or 0 is the default (shown greyed). Per address is generous because thousands of mobile users share a carrier's address; per person is tight.",
  limit_login_per_tenant_per_second: "Logins per second (whole tenant)", limit_login_per_ip_per_minute: "Logins per minute per address",
  limit_login_per_identity_per_minute: "Logins per minute per WeChat user", limit_session_per_token_per_minute: "Requests per minute per session",
  limit_api_key_per_second: "Backend calls per second per API key", limitBounds: "Rate limits are whole numbers between 0 and 1000000.",
  verifyChoose: "Choose the MP_verify_….txt file first.", verifyBadName: "The file must be named MP_verify_<letters and digits>.txt, as WeChat's console names it.",
  verifyBadSize: "The file holds 1 to 64 characters: is it WeChat's verification file?",
  verifyWhere: "Official accounts' domain verification files are on the Apps tab.",
};

const zhPolish = {
  typeToConfirm: "输入 {word} 以确认", backToTenants: "返回租户列表",
  sessionExpired: "控制台会话已过期：重新登录后将回到原来的页面。",
  editsKept: "该页面上未保存的修改已保留。", editsRestored: "重新登录后已恢复您未保存的修改。",
  tooManyAttemptsWait: "登录失败次数过多：请等待 {wait} 后再试。",
  seconds: "{n} 秒", minutes: "{n} 分钟",
  slugHint: "3 到 32 位小写字母、数字或连字符。它出现在租户的每个地址中（/t/<标识>/…），创建后不能修改。",
  secretRequired: "请先填写 AppSecret。", appidInvalid: "AppID 以 wx 开头，后跟 6 到 30 位字母或数字。",
  appsTitle: "微信应用", appKind: "类型", addAnApp: "添加应用",
  confirmRemoveApp: "移除 {appid}？只通过它登录的用户将失去这一登录方式。", appRemoved: "应用已移除。",
  defaultStays: "默认小程序不能移除：请先将另一个设为默认。",
  kindHint_miniprogram: "小程序通过 wx.login 的 code 登录用户。",
  kindHint_officialaccount: "公众号（服务号）在微信内的 H5 页面通过网页授权登录用户；其域名需要下方的校验文件。",
  kindHint_mobileapp: "开放平台移动应用：iOS/Android 应用通过微信 App 授权登录（SendAuth）。",
  kindHint_website: "开放平台网站应用：浏览器扫码登录。",
  unit: "单位", hours: "小时", days: "天",
  idleLifetime: "会话闲置有效期", absoluteLifetime: "会话最长有效期",
  lifetimeHint: "会话闲置超过闲置有效期即结束，最迟在最长有效期后结束（最多一年）。取值在 1 分钟到 400 天之间。",
  nameRequired: "请填写名称。", lifetimeBounds: "有效期须在 1 分钟到 400 天之间。",
  absoluteShorter: "最长有效期不能短于闲置有效期。", absoluteYear: "最长有效期最多一年。",
  reg_auto_hint: "任何用微信登录的人立即获得账号。",
  reg_signup_hint: "新的微信用户先获得注册凭证；小程序为其注册（POST /register）后才成为用户。",
  reg_existing_only_hint: "只有您导入的用户（手机号、姓名、外部 ID）可以进入：微信用户的手机号与导入的用户匹配才被接纳，其他人一律拒绝（not_registered）。",
  nicknameCheckTitle: "昵称检测",
  webTitle: "网页来源与 OAuth 回调地址",
  webHint: "每行一个。来源（https://h5.example.com）获得 CORS 响应；回调地址是网页授权完成后可跳回的地址（https，不带查询参数）。",
  allowedOrigins: "允许的来源", redirectURIs: "OAuth 回调地址",
  rateLimits: "频率限制", rateLimitsHint: "留空或 0 表示默认值（灰色显示）。按地址的限制较宽，因为成千上万的移动用户共用运营商的地址；按人的限制较严。",
  limit_login_per_tenant_per_second: "每秒登录次数（整个租户）", limit_login_per_ip_per_minute: "每个地址每分钟登录次数",
  limit_login_per_identity_per_minute: "每个微信用户每分钟登录次数", limit_session_per_token_per_minute: "每个会话每分钟请求数",
  limit_api_key_per_second: "每个 API 密钥每秒后端调用次数", limitBounds: "频率限制须为 0 到 1000000 之间的整数。",
  verifyChoose: "请先选择 MP_verify_….txt 文件。", verifyBadName: "文件名须为 MP_verify_<字母和数字>.txt，与公众平台给出的一致。",
  verifyBadSize: "文件内容应为 1 到 64 个字符：这是公众平台的校验文件吗？",
  verifyWhere: "公众号的域名校验文件在“应用”标签页。",
  tab_apps: "应用", // the tab holds every kind of app, not only mini-programs
};
Object.assign(en, enPolish);
Object.assign(zh, zhPolish);

const dicts = { en, "zh-CN": zh };
const listeners = [];

function initial() {
  try {
    const saved = localStorage.getItem(KEY);
    if (saved && dicts[saved]) return saved;
  } catch {
    // storage disabled: fall back to the browser's language
  }
  return (navigator.language || "").toLowerCase().startsWith("zh") ? "zh-CN" : "en";
}

let current = initial();

export function lang() {
  return current;
}

export function setLang(l) {
  if (!dicts[l] || l === current) return;
  current = l;
  try {
    localStorage.setItem(KEY, l);
  } catch {
    // not remembered, still switched
  }
  document.documentElement.lang = l;
  listeners.forEach((f) => f());
}

export function onLangChange(f) {
  listeners.push(f);
}

// t translates key, filling {name} placeholders from params.
export function t(key, params = {}) {
  const s = dicts[current][key] ?? en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => String(params[k] ?? ""));
}

// has reports whether key has a text (in English at least).
export function has(key) {
  return key in en;
}

// codeText is the console's words for an API code of a kind ("err",
// "status", "state", "audit"), or the code itself when it has none.
export function codeText(kind, code) {
  const key = kind + "_" + String(code).replace(/\./g, "_");
  return has(key) ? t(key) : String(code);
}
