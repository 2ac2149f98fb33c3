'use strict'
// uni (uni-app) and Taro as the SDK meets them, built over the simulated wx
// of fakewx.js. uni's request/login/checkSession take callbacks, and answer
// by promise when given none; Taro's answer by promise only here (the
// strictest reading: the adapter must not need their callbacks).
const { fakeWx } = require('./fakewx')

const CALLBACK_APIS = ['request', 'login', 'checkSession']

function promised (w, name, args) {
  return new Promise((resolve, reject) => w[name](Object.assign({}, args, { success: resolve, fail: reject })))
}

function fakeUni (opts) {
  const w = fakeWx(opts)
  const uni = { counts: w.counts, storage: w.storage, wx: w, promiseCalls: 0 }
  for (const name of CALLBACK_APIS) {
    uni[name] = (args) => {
      if (args && (args.success || args.fail)) {
        w[name](args)
        return { abort () {} } // a task object, as uni.request returns
      }
      uni.promiseCalls++
      return promised(w, name, args)
    }
  }
  uni.getStorageSync = (k) => w.getStorageSync(k)
  uni.setStorageSync = (k, v) => w.setStorageSync(k, v)
  uni.removeStorageSync = (k) => w.removeStorageSync(k)
  return uni
}

function fakeTaro (opts) {
  const w = fakeWx(opts)
  const Taro = { counts: w.counts, storage: w.storage, wx: w }
  for (const name of CALLBACK_APIS) {
    // The callbacks are dropped: only the promise answers.
    Taro[name] = (args) => {
      const rest = Object.assign({}, args)
      delete rest.success
      delete rest.fail
      return promised(w, name, rest)
    }
  }
  Taro.getStorageSync = (k) => w.getStorageSync(k)
  Taro.setStorageSync = (k, v) => w.setStorageSync(k, v)
  Taro.removeStorageSync = (k) => w.removeStorageSync(k)
  return Taro
}

module.exports = { fakeUni, fakeTaro }
