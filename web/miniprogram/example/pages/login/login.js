const app = getApp()

Page({
  data: { busy: false, error: '' },

  onShow () {
    if (app.auth.isLoggedIn()) wx.redirectTo({ url: '/pages/profile/profile' })
  },

  async login () {
    this.setData({ busy: true, error: '' })
    try {
      await app.auth.login()
      wx.redirectTo({ url: '/pages/profile/profile' })
    } catch (e) {
      this.setData({ error: e.code === 'user_banned' ? 'This account is banned.' : 'Login failed, try again.' })
    } finally {
      this.setData({ busy: false })
    }
  }
})
