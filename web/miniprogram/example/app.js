// The example mini-program: one miniauth client for the whole app.
const miniauth = require('./lib/miniauth')

App({
  // Set these to your miniauth address and tenant slug.
  auth: miniauth.createClient({ baseURL: 'https://auth.example.com', tenant: 'demo' }),

  onLaunch () {
    // A stored session is reused without a round trip when WeChat's login
    // state still holds; otherwise this runs wx.login once.
    this.auth.login().catch((e) => console.warn('login failed', e.code, e.message))
  }
})
