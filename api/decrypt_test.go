package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"

	"miniauth/tenants/wechat/wechattest"
)

// openData is what wx.getUserInfo gives user now, as a request body.
func (e *env) openData(user string, signed bool) string {
	e.t.Helper()
	d, err := e.wx.UserInfo(demoAppID, user)
	if err != nil {
		e.t.Fatal(err)
	}
	remember(d.EncryptedData, "encrypted data")
	if signed {
		b, _ := json.Marshal(map[string]string{"raw_data": d.RawData, "signature": d.Signature})
		return string(b)
	}
	b, _ := json.Marshal(map[string]string{"encrypted_data": d.EncryptedData, "iv": d.IV})
	return string(b)
}

func TestDecrypt(t *testing.T) {
	e := newEnv(t)
	e.wx.SetPerson("alice", "", "", "爱丽丝", "https://thirdwx.qlogo.cn/alice/132")
	alice := e.login("alice")
	key := e.wx.SessionKey(demoAppID, "alice")
	sealed := func(plain string) string {
		d := wechattest.Encrypt(key, []byte(plain))
		b, _ := json.Marshal(map[string]string{"encrypted_data": d.EncryptedData, "iv": d.IV})
		return string(b)
	}
	good := e.openData("alice", false)
	var flipped map[string]string
	_ = json.Unmarshal([]byte(good), &flipped)
	ct, _ := base64.StdEncoding.DecodeString(flipped["encrypted_data"])
	ct[len(ct)-1] ^= 1
	flipped["encrypted_data"] = base64.StdEncoding.EncodeToString(ct)
	tampered, _ := json.Marshal(flipped)
	shortIV := `{"encrypted_data":"` + flipped["encrypted_data"] + `","iv":"` + base64.StdEncoding.EncodeToString(make([]byte, 8)) + `"}`

	scenarios := []struct {
		name   string
		body   string
		before func()
		status int
		code   string
		check  func(r response)
	}{
		{name: "user info", body: good, status: 200, check: func(r response) {
			data, user := r.Body["data"].(map[string]any), r.Body["user"].(map[string]any)
			if data["openId"] != e.wx.OpenID(demoAppID, "alice") || user["nickname"] != "爱丽丝" || r.Body["session"] != nil {
				t.Errorf("decrypt: %s", r.Raw)
			}
		}},
		{name: "raw data with signature", body: e.openData("alice", true), status: 200, check: func(r response) {
			if r.Body["data"].(map[string]any)["nickName"] != "爱丽丝" {
				t.Errorf("raw data: %s", r.Raw)
			}
		}},
		{name: "old-style phone number", body: func() string {
			e.wx.SetPerson("alice", "86", "13512345678", "", "")
			d, _ := e.wx.PhoneData(demoAppID, "alice")
			return `{"encrypted_data":"` + d.EncryptedData + `","iv":"` + d.IV + `"}`
		}(), status: 200, check: func(r response) {
			if r.Body["user"].(map[string]any)["phone_bound"] != true || e.count("SELECT COUNT(*) FROM users WHERE phone = '+8613512345678'") != 1 {
				t.Errorf("phone: %s", r.Raw)
			}
		}},
		{name: "neither pair", body: `{}`, status: 400, code: "invalid_request"},
		{name: "both pairs", body: `{"encrypted_data":"a","iv":"b","raw_data":"c","signature":"d"}`, status: 400, code: "invalid_request"},
		{name: "IV of 8 bytes", body: shortIV, status: 400, code: "invalid_request"},
		{name: "not Base64", body: `{"encrypted_data":"%%%","iv":"%%%"}`, status: 400, code: "invalid_request"},
		{name: "tampered (bad padding)", body: string(tampered), status: 400, code: "invalid_encrypted_data"},
		{name: "watermark of another app", body: sealed(`{"openId":"x","watermark":{"appid":"` + otherAppID + `","timestamp":1}}`), status: 400, code: "invalid_encrypted_data"},
		{name: "no watermark", body: sealed(`{"openId":"x"}`), status: 400, code: "invalid_encrypted_data"},
		{name: "forged signature", body: `{"raw_data":"{\"nickName\":\"mallory\"}","signature":"` + "0000000000000000000000000000000000000000" + `"}`, status: 400, code: "invalid_signature"},
		{name: "session_key replaced by a newer login", before: func() {
			e.login("alice") // wx.login again on the phone: WeChat replaced the key
		}, status: 409, code: "session_key_stale"},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			e.t = t
			if sc.before != nil {
				sc.before()
			}
			if sc.body == "" { // what the phone has now, encrypted with WeChat's current key
				sc.body = e.openData("alice", false)
			}
			r := e.do("POST", "/t/acme/me/decrypt", sc.body, bearer(alice)...)
			if r.Status != sc.status || r.errCode() != sc.code {
				t.Fatalf("%d %q, want %d %q: %s", r.Status, r.errCode(), sc.status, sc.code, r.Raw)
			}
			if sc.check != nil {
				sc.check(r)
			}
		})
	}
}

func TestSessionKeyCheck(t *testing.T) {
	e := newEnv(t)
	alice := e.login("alice")
	valid := func() any {
		r := e.do("GET", "/t/acme/me/session-key", "", bearer(alice)...)
		if r.Status != 200 {
			t.Fatalf("session-key: %d %s", r.Status, r.Raw)
		}
		return r.Body["valid"]
	}
	if v := valid(); v != true {
		t.Fatalf("fresh session: valid = %v", v)
	}
	e.wx.ExpireSessionKey(demoAppID, "alice")
	if v := valid(); v != false {
		t.Fatalf("expired key: valid = %v", v)
	}
	e.wx.SetFaults(wechattest.Faults{SystemErrors: 2})
	if r := e.do("GET", "/t/acme/me/session-key", "", bearer(alice)...); r.Status != 502 || r.errCode() != "wechat_unavailable" {
		t.Fatalf("WeChat busy: %d %s", r.Status, r.Raw)
	}
	e.wx.SetFaults(wechattest.Faults{})
	if r := e.do("GET", "/t/acme/me/session-key", ""); r.Status != 401 {
		t.Fatalf("no session: %d", r.Status)
	}
}

func TestDecryptMergesByUnionID(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// The second mini-program is bound to the open platform; the first is
	// not yet, so its users have no unionid.
	e.wx.AddApp(otherAppID, "other-app-secret-0123456789", "acme-open")
	if err := e.reg.AddApp(ctx, e.tenant.ID, tenantsNewApp(otherAppID)); err != nil {
		t.Fatal(err)
	}
	e.cache.Invalidate(ctx, "acme")
	code, _ := e.wx.IssueCode(otherAppID, "kai")
	older := e.loginBody(`{"code":"` + code + `","appid":"` + otherAppID + `"}`)
	newer := e.login("kai") // first app: a second user, for now
	if e.count("SELECT COUNT(*) FROM users") != 2 {
		t.Fatal("want two users before the merge")
	}
	e.wx.AddApp(demoAppID, demoSecret, "acme-open") // now bound: user info carries the unionId
	r := e.do("POST", "/t/acme/me/decrypt", e.openData("kai", false), bearer(newer)...)
	if r.Status != 200 {
		t.Fatalf("decrypt: %d %s", r.Status, r.Raw)
	}
	olderID := older.Body["user"].(map[string]any)["id"]
	merged, _ := r.Body["session"].(string)
	if r.Body["user"].(map[string]any)["id"] != olderID || merged == "" {
		t.Fatalf("merged into %v, want the older user %v with a new session: %s", r.Body["user"], olderID, r.Raw)
	}
	if me := e.do("GET", "/t/acme/me", "", bearer(merged)...); me.Status != 200 || me.Body["user"].(map[string]any)["id"] != olderID {
		t.Fatalf("merged session: %d %s", me.Status, me.Raw)
	}
	if me := e.do("GET", "/t/acme/me", "", bearer(newer)...); me.Status != 401 {
		t.Fatalf("the merged-away user's session still works: %d", me.Status)
	}
	if e.count("SELECT COUNT(*) FROM users") != 1 || e.count("SELECT COUNT(*) FROM identities") != 2 ||
		e.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.merged'") != 1 || e.count("SELECT COUNT(*) FROM user_merges") != 1 {
		t.Fatal("after the merge: want 1 user, 2 identities, 1 audit entry, 1 merge record")
	}
}
