package wechattest

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
)

// Texts of the qrconnect page's refusals (wechat-open-api.md §2.2). WeChat
// shows them instead of the QR code and never redirects.
const (
	// qrLinkUnreachable: the redirect_uri is not on the website's callback
	// domain, or scope is not snsapi_login.
	qrLinkUnreachable = "该链接无法访问"
	// qrNoScope: the appid is not a website application's (an official
	// account's, a mobile app's, a mini-program's).
	qrNoScope = "Scope 参数错误或没有 Scope 权限"
	// qrBadAppID: no appid, or one WeChat does not know; the text is the
	// fake's own (WeChat's is UNCONFIRMED).
	qrBadAppID = "AppID 参数错误"
)

// qrconnect plays the QR login page of a website application
// (open.weixin.qq.com/connect/qrconnect, wechat-open-api.md §2.1) for a
// user who scans and confirms at once: it redirects straight back to
// redirect_uri with ?code and ?state. The user is chosen as on the
// authorize page (mock_user, the wxmock_user cookie, "h5-user");
// mock_deny=1 plays a refusal the old way (a redirect with the state
// only; today's WeChat stays on the page, which a rule on "qrconnect"
// plays). Refusals are an HTML page with WeChat's text and no redirect.
func (s *Server) qrconnect(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	appid, redirect := q.Get("appid"), q.Get("redirect_uri")
	if rule, ok := s.pageRule("qrconnect"); ok {
		qrconnectError(w, strconv.Itoa(rule.Errcode)+" "+errmsg(rule.Errcode))
		return
	}
	s.mu.Lock()
	a, known := s.apps[appid]
	s.mu.Unlock()
	target, err := url.Parse(redirect)
	switch {
	case appid == "" || !known:
		qrconnectError(w, qrBadAppID)
		return
	case a.kind != KindWebsite:
		qrconnectError(w, qrNoScope)
		return
	case q.Get("scope") != scopeLogin, redirect == "", err != nil, target.Host == "", !a.allowsRedirect(target):
		qrconnectError(w, qrLinkUnreachable)
		return
	}
	back := target.Query()
	back.Set("state", q.Get("state"))
	if q.Get("mock_deny") != "1" {
		s.mu.Lock()
		code := s.openCodeLocked(appid, browserUser(r), scopeLogin)
		s.mu.Unlock()
		back.Set("code", code)
	}
	target.RawQuery = back.Encode()
	target.Fragment = ""
	http.Redirect(w, r, target.String(), http.StatusFound)
}

func qrconnectError(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<html><head><title>微信登录</title></head><body><p>%s</p></body></html>\n", html.EscapeString(msg))
}
