const app = getApp()

Page({
  data: { busy: false, error: '', ticket: '' },

  onShow () {
    if (app.auth.isLoggedIn()) wx.redirectTo({ url: '/pages/profile/profile' })
  },

  async login () {
    this.setData({ busy: true, error: '' })
    try {
      await app.auth.login()
      wx.redirectTo({ url: '/pages/profile/profile' })
    } catch (e) {
      if (e.code === 'signup_required') {
        // The tenant's policy wants an explicit sign-up: offer it.
        this.setData({ ticket: e.signup_ticket })
      } else {
        this.setData({ error: e.code === 'user_banned' ? 'This account is banned.' : 'Login failed, try again.' })
      }
    } finally {
      this.setData({ busy: false })
    }
  },

  async signup () {
    this.setData({ busy: true, error: '' })
    try {
      await app.auth.register({ signup_ticket: this.data.ticket })
      wx.redirectTo({ url: '/pages/profile/profile' })
    } catch (e) {
      // An expired or spent ticket: start again from the login.
      this.setData({ ticket: '', error: e.code === 'invalid_ticket' ? 'That took too long, log in again.' : 'Sign-up failed, try again.' })
    } finally {
      this.setData({ busy: false })
    }
  }
})
