const app = getApp()

// WeChat's own placeholder until the user picks an avatar.
const placeholder = 'https://mmbiz.qpic.cn/mmbiz/icTdbqWNOwNRna42FI242Lcia07jQodd2FJGIYQfG0LAJGFxM4FbnQP6yfMxBgJ0F3YRqJCJ1aPAK2dQagdusBZg/0'

Page({
  data: { user: null, placeholder, message: '' },

  async onShow () {
    try {
      const user = await app.auth.user() // GET /me; logs in again by itself on a 401
      this.setData({ user })
    } catch (e) {
      wx.redirectTo({ url: '/pages/login/login' })
    }
  },

  // <button open-type="chooseAvatar">: e.detail.avatarUrl is a temporary
  // file on the phone; uploadAvatar stores it on miniauth (wx.uploadFile).
  async onChooseAvatar (e) {
    try {
      const user = await app.auth.uploadAvatar(e.detail.avatarUrl)
      this.setData({ user, message: 'Avatar saved.' })
    } catch (err) {
      this.setData({ message: err.code === 'unsupported_image' ? 'Pick a JPEG, PNG or WebP image.' : 'Could not save the avatar.' })
    }
  },

  // The form's value, read on submit: WeChat may have cleared the
  // nickname input after its check on blur, and bindinput would have seen
  // the text before that.
  async save (e) {
    const nickname = (e.detail.value.nickname || '').trim()
    if (!nickname) return this.setData({ message: 'Enter a nickname.' })
    try {
      const user = await app.auth.updateProfile({ nickname })
      this.setData({ user, message: 'Saved.' })
    } catch (err) {
      this.setData({ message: err.code === 'nickname_rejected' ? 'This nickname is not allowed; choose another.' : err.code === 'invalid_request' ? 'That nickname is not accepted.' : 'Could not save, try again.' })
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
