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
  kind_miniprogram: "Mini-program", kind_officialaccount: "Official account (H5)", kind_mobileapp: "WeChat app (iOS/Android)",
  kind_website: "Website QR", kind_phone: "Phone",
});
Object.assign(zh, {
  waysIn: "登录方式", wayKind: "方式", lastUsed: "最近使用", neverUsed: "从未", notRecorded: "未记录",
  kind_miniprogram: "小程序", kind_officialaccount: "公众号（H5）", kind_mobileapp: "微信 App 登录（iOS/Android）",
  kind_website: "网站扫码", kind_phone: "手机号",
});

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
