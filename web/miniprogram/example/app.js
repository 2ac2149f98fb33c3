// The example mini-program: one miniauth client for the whole app.
const miniauth = require('./lib/miniauth')

// Where miniauth runs. As it is, the example talks to `make run` on this
// machine; for a device or a release, set your HTTPS address and tenant,
// and add that domain to the mini-program's request 合法域名 (see
// web/miniprogram/README.md).
const config = {
  baseURL: 'http://localhost:8080',
  tenant: 'demo',
  // Against `make run`, wx.login's codes come from real WeChat, which the
  // local simulator does not know: ask the simulator for a code instead
  // (its /mock/wx.login plays the phone). Set to '' for real WeChat.
  simulator: 'http://127.0.0.1:8081',
  simulatedUser: 'devtools-user',
  // The AppID the simulator and `make run`'s tenant demo know.
  simulatedAppID: 'wx0123456789abcdef'
}

// wx, except that login() asks the simulator for a code.
function simulatedWx () {
  return Object.assign(Object.create(wx), {
    login ({ success, fail }) {
      wx.request({
        url: config.simulator + '/mock/wx.login',
        method: 'POST',
        data: { appid: config.simulatedAppID, user: config.simulatedUser },
        success: (res) => (res.statusCode === 200 && res.data.code ? success({ code: res.data.code }) : fail({ errMsg: 'login:fail simulator answered ' + res.statusCode })),
        fail
      })
    }
  })
}

App({
  auth: miniauth.createClient({
    baseURL: config.baseURL,
    tenant: config.tenant,
    wx: config.simulator ? simulatedWx() : wx
  }),

  onLaunch () {
    // A stored session is reused without a round trip when WeChat's login
    // state still holds; otherwise this runs wx.login once.
    this.auth.login().catch((e) => console.warn('login failed', e.code, e.message))
  }
})
