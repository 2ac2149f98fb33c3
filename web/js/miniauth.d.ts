// Type definitions for miniauth's browser module (miniauth.js).

export interface User {
  id: string
  nickname?: string
  avatar_url?: string
  phone_bound?: boolean
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

/** What the module needs of a Storage: localStorage, sessionStorage, memoryStorage() or your own. */
export interface SessionStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

export interface ClientOptions {
  baseURL: string
  tenant: string
  /** localStorage by default */
  storage?: SessionStorage
  /** signs the user in again after a 401; called once for every request that failed together */
  renew?: (client: Client) => Promise<unknown>
  fetch?: typeof fetch
  now?: () => number
}

/** A login answer of the API (POST /login, /login/sms, /login/wechat-app, /register). */
export interface LoginAnswer {
  session: string
  token_type?: 'Bearer'
  expires_in: number
  user?: User
  access_token?: string
  access_token_expires_in?: number
}

export interface Identity {
  id: string
  kind: 'miniprogram' | 'officialaccount' | 'mobileapp' | 'website' | 'phone' | string
  app_id?: string
  last_used_at?: string
}

export declare class MiniauthError extends Error {
  code: string
  status: number
  requestId: string
  /** seconds, from Retry-After */
  retryAfter?: number
}

export interface SignupRequiredError extends MiniauthError {
  code: 'signup_required'
  signup_ticket: string
  expires_in: number
}

export declare class Client {
  constructor(options: ClientOptions)
  readonly baseURL: string
  readonly tenant: string
  readonly api: string
  session(): StoredSession | null
  isLoggedIn(): boolean
  currentUser(): User | null
  useSession(answer: LoginAnswer): User | null
  sendSmsCode(phone: string, purpose?: 'login' | 'bind'): Promise<{ expires_in: number, resend_after: number }>
  loginWithSms(phone: string, code: string): Promise<User>
  bindPhoneWithSms(phone: string, code: string): Promise<User>
  loginWithWeChatApp(code: string, appid?: string): Promise<User>
  wechatLoginURL(options: { redirectURI: string, scope?: 'snsapi_login' | 'snsapi_base' | 'snsapi_userinfo', appid?: string }): string
  startWeChatLogin(options: { redirectURI: string, scope?: 'snsapi_login' | 'snsapi_base' | 'snsapi_userinfo', appid?: string }): void
  /** null when the URL carries no sign-in */
  handleRedirect(href?: string): Promise<User | null>
  register(form: { signup_ticket: string, nickname?: string, avatar_url?: string, phone_code?: string }): Promise<User>
  fetch(url: string, init?: RequestInit & { auth?: 'session' | 'access_token' }): Promise<Response>
  getAccessToken(): Promise<string>
  me(): Promise<User>
  updateProfile(profile: { nickname?: string, avatar_url?: string }): Promise<User>
  identities(): Promise<Identity[]>
  linkIdentity(link: { kind: 'mobileapp' | 'miniprogram', code: string, appid?: string }): Promise<Identity[]>
  unlinkIdentity(id: string): Promise<void>
  logout(): Promise<void>
  on(event: 'login', listener: (user: User | null) => void): () => void
  on(event: 'logout' | 'expired', listener: () => void): () => void
  off(event: 'login' | 'logout' | 'expired', listener: (...args: any[]) => void): void
}

export declare function createClient(options: ClientOptions): Client
export declare function memoryStorage(): SessionStorage
