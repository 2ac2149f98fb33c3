// Type definitions for the miniauth mini-program SDK (miniauth.js).

export interface User {
  id: string
  nickname: string
  avatar_url: string
  phone_bound: boolean
  is_new?: boolean
  created_at?: string
  last_login_at?: string
}

export interface StoredSession {
  session: string
  /** ms since the epoch */
  expiresAt: number
  user: User | null
  accessToken?: string
  accessTokenExpiresAt?: number
}

export interface ClientOptions {
  /** miniauth's address, e.g. https://auth.example.com */
  baseURL: string
  /** the tenant's slug */
  tenant: string
  /** another of the tenant's mini-programs than its default one */
  appid?: string
  /** the wx object; the global wx by default */
  wx?: any
  /** uni (uni-app) or Taro in place of wx (see adapt); the one given to use() by default */
  platform?: Platform
  /** clock in ms; Date.now by default */
  now?: () => number
}

export interface RequestOptions {
  /** absolute, or starting with "/" for the tenant's miniauth API */
  url: string
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS'
  data?: any
  header?: Record<string, string>
  timeout?: number
  /** which token to send: the session (default) or the JWT access token */
  auth?: 'session' | 'access_token'
}

export interface Response<T = any> {
  statusCode: number
  data: T
  header: Record<string, string>
}

export interface LoginOptions {
  /** log in with wx.login even when a stored session looks alive */
  force?: boolean
  /** a getPhoneNumber button's code, bound in the same step */
  phoneCode?: string
}

export declare class MiniauthError extends Error {
  /** the API's error code, e.g. invalid_session, user_banned, rate_limited */
  code: string
  status: number
  requestId: string
  /** seconds, from Retry-After (rate_limited and some 409 and 503 answers) */
  retryAfter?: number
}

/** POST /sms/send's answer, in seconds. */
export interface SmsSent {
  expires_in: number
  /** how long to keep the "send again" button off */
  resend_after: number
}

/** One way the user can sign in (GET /me/identities). */
export interface Identity {
  id: string
  kind: 'miniprogram' | 'officialaccount' | 'mobileapp' | 'website' | 'phone' | string
  app_id?: string
  last_used_at?: string
}

/**
 * What login() rejects with when the tenant (policy signup or existing_only)
 * does not know the WeChat user yet: pass signup_ticket to register().
 */
export interface SignupRequiredError extends MiniauthError {
  code: 'signup_required'
  /** the ticket for register(), valid expires_in seconds */
  signup_ticket: string
  expires_in: number
  /** login's whole answer: {registered: false, signup_ticket, expires_in} */
  answer: { registered: false, signup_ticket: string, expires_in: number }
}

export interface RegisterForm {
  /** from login()'s SignupRequiredError */
  signup_ticket: string
  nickname?: string
  avatar_url?: string
  /** a getPhoneNumber button's code; required under existing_only */
  phone_code?: string
}

export declare class Client {
  constructor(options: ClientOptions)
  readonly baseURL: string
  readonly tenant: string
  readonly api: string
  session(): StoredSession | null
  isLoggedIn(): boolean
  currentUser(): User | null
  /** rejects with a SignupRequiredError when the tenant wants a sign-up first */
  login(options?: LoginOptions): Promise<User>
  /** POST /register with login()'s ticket; stores the session like a login */
  register(form: RegisterForm): Promise<User>
  request<T = any>(options: RequestOptions): Promise<Response<T>>
  /** the login's access token while it has 30 s to live, else one from POST /token; concurrent calls share one */
  getAccessToken(): Promise<string>
  /** getAccessToken(), its name before 0.3.0 */
  accessToken(): Promise<string>
  /** sends a code by SMS (POST /sms/send); phone in E.164, e.g. +8613800138000 */
  sendSmsCode(phone: string, purpose?: 'login' | 'bind'): Promise<SmsSent>
  /** POST /login/sms; resolves and rejects as login() (signup_required under the ticket policies) */
  loginWithSms(phone: string, code: string): Promise<User>
  /** POST /me/phone/sms: binds or changes the user's phone with a code sent for 'bind' */
  bindPhoneWithSms(phone: string, code: string): Promise<User>
  /** GET /me/identities */
  identities(): Promise<Identity[]>
  /** POST /me/identities with a wx.login code: this mini-program's WeChat identity joins the signed-in (e.g. by SMS) account */
  linkWeChat(): Promise<Identity[]>
  /** DELETE /me/identities/{id}; 409 last_identity for the last one */
  unlinkIdentity(id: string): Promise<void>
  user(): Promise<User>
  updateProfile(profile: { nickname?: string, avatar_url?: string }): Promise<User>
  /** uploads a chooseAvatar temporary file (wx.uploadFile to POST /me/avatar) */
  uploadAvatar(tempFilePath: string): Promise<User>
  bindPhone(code: string): Promise<User>
  getPhoneNumber(code: string): Promise<User>
  logout(): Promise<void>
  on(event: 'login', listener: (user: User) => void): () => void
  on(event: 'logout', listener: () => void): () => void
  /** a phoneCode given to login() was not bound; the login itself worked */
  on(event: 'phoneError', listener: (err: MiniauthError) => void): () => void
  off(event: 'login' | 'logout' | 'phoneError', listener: (...args: any[]) => void): void
}

export declare function createClient(options: ClientOptions): Client

/**
 * What the SDK needs of wx, uni or Taro: request, login and checkSession
 * taking {success, fail} callbacks or answering by promise, and the sync
 * storage calls.
 */
export interface Platform {
  request(options: any): any
  login(options: any): any
  checkSession(options: any): any
  getStorageSync(key: string): any
  setStorageSync(key: string, value: any): void
  removeStorageSync(key: string): void
}

/** A wx-shaped object over uni or Taro; createClient({ platform }) uses it. */
export declare function adapt(platform: Platform): Platform

/** Makes platform the default of every later createClient without wx or platform. */
export declare function use(platform: Platform): typeof import('./miniauth')
