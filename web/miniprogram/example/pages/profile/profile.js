const app = getApp()

Page({
  data: { user: null, nickname: '', message: '' },

  async onShow () {
    try {
      const user = await app.auth.user() // GET /me; logs in again by itself on a 401
      this.setData({ user, nickname: user.nickname })
    } catch (e) {
      wx.redirectTo({ url: '/pages/login/login' })
    }
  },

  onNickname (e) { this.setData({ nickname: e.detail.value }) },

  async save () {
    try {
      const user = await app.auth.updateProfile({ nickname: this.data.nickname })
      this.setData({ user, message: 'Saved.' })
    } catch (err) {
      this.setData({ message: err.code === 'invalid_request' ? 'That nickname is not accepted.' : 'Could not save, try again.' })
    }
  },

  // <button open-type="getPhoneNumber">: WeChat hands a one-time code
  // (e.detail.code); miniauth exchanges it for the number server-side.
  async onPhone (e) {
    if (!e.detail.code) return this.setData({ message: 'Phone number not shared.' })
    try {
      const user = await app.auth.bindPhone(e.detail.code)
      this.setData({ user, message: 'Phone number bound.' })
    } catch (err) {
      this.setData({ message: err.code === 'phone_in_use' ? 'This number belongs to another account.' : 'Could not bind the number.' })
    }
  },

  // Calling your own backend: request() attaches the session (or, with
  // auth: 'access_token', the JWT) and retries once after a re-login.
  async orders () {
    try {
      const res = await app.auth.request({ url: 'https://api.example.com/orders', auth: 'access_token' })
      this.setData({ message: res.statusCode === 200 ? `${res.data.length} orders` : `backend answered ${res.statusCode}` })
    } catch (err) {
      // Not logged in any more (a ban, say), or the network failed.
      if (err.code === 'user_banned' || err.code === 'signup_required') return wx.redirectTo({ url: '/pages/login/login' })
      this.setData({ message: 'Could not reach the backend: ' + (err.message || err.code) })
    }
  },

  async logout () {
    await app.auth.logout()
    wx.redirectTo({ url: '/pages/login/login' })
  }
})
