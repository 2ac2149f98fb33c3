package api

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
	"miniauth/tenants/sessions"
	"miniauth/tenants/users"
	"miniauth/tenants/wechat"
)

type decryptRequest struct {
	EncryptedData string `json:"encrypted_data"`
	IV            string `json:"iv"`
	RawData       string `json:"raw_data"`
	Signature     string `json:"signature"`
}

func (r *decryptRequest) validate() error {
	encrypted, signed := r.EncryptedData != "" || r.IV != "", r.RawData != "" || r.Signature != ""
	switch {
	case encrypted == signed:
		return badRequest("send either encrypted_data and iv, or raw_data and signature")
	case encrypted && (r.EncryptedData == "" || r.IV == ""):
		return badRequest("encrypted_data and iv are both required")
	case signed && (r.RawData == "" || r.Signature == ""):
		return badRequest("raw_data and signature are both required")
	}
	return nil
}

type decryptResponse struct {
	Data map[string]any `json:"data"`
	User userJSON       `json:"user"`
	// Session is set when the data revealed that the user is one already
	// known under another account: the accounts were merged, the old session
	// ended, and this is the merged user's session.
	Session string `json:"session,omitempty"`
}

// wechatSession is what a request needs to speak for the session's user to
// WeChat.
type wechatSession struct {
	app        *tenants.App
	openid     string
	sessionKey string
}

func (s *Server) wechatSessionOf(c *fiber.Ctx) (*wechatSession, error) {
	ctx, t, sess := c.UserContext(), tenantOf(c), sessionOf(c)
	app, err := t.AppByID(sess.AppID)
	if err != nil || app.Kind != tenants.KindMiniProgram {
		return nil, badRequest("this session did not come from a mini-program: it has no session_key")
	}
	key, err := s.deps.Sessions.SessionKey(sess)
	if err != nil {
		return nil, err
	}
	id, err := s.deps.Users.IdentityOf(ctx, t.ID, sess.UserID, app.ID)
	if err != nil {
		return nil, err
	}
	return &wechatSession{app: app, openid: id.OpenID, sessionKey: key}, nil
}

// decrypt opens wx.getUserInfo-style encrypted data, or checks a raw_data
// signature, with the session's session_key; user info updates the profile
// and the unionid (POST /me/decrypt).
func (s *Server) decrypt(c *fiber.Ctx) error {
	var req decryptRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	ws, err := s.wechatSessionOf(c)
	if err != nil {
		return err
	}
	var data map[string]any
	if req.EncryptedData != "" {
		data, err = wechat.DecryptData(ws.sessionKey, req.EncryptedData, req.IV, ws.app.AppID)
		switch {
		case errors.Is(err, wechat.ErrMalformed):
			return badRequest("encrypted_data and iv must be Base64, iv 16 bytes, the data whole AES blocks")
		case errors.Is(err, wechat.ErrWatermark):
			return &Error{Status: 400, Code: CodeInvalidEncryptedData, Message: "the data was made for another app"}
		case errors.Is(err, wechat.ErrDecrypt):
			return s.staleOr(c, ws, &Error{Status: 400, Code: CodeInvalidEncryptedData, Message: "the data does not decrypt with this session's key"})
		}
	} else {
		if !wechat.VerifyRawData(req.RawData, req.Signature, ws.sessionKey) {
			return s.staleOr(c, ws, &Error{Status: 400, Code: CodeInvalidSignature, Message: "raw_data does not match its signature"})
		}
		if json.Unmarshal([]byte(req.RawData), &data) != nil || data == nil {
			return badRequest("raw_data must be a JSON object")
		}
	}
	u, token, err := s.learn(c, ws, data)
	if err != nil {
		return err
	}
	j := newUserJSON(u, false)
	j.IsNew = nil
	return c.JSON(decryptResponse{Data: data, User: j, Session: token})
}

// staleOr answers session_key_stale when WeChat no longer knows the
// session's key (the likely reason data does not check out), else fallback.
func (s *Server) staleOr(c *fiber.Ctx, ws *wechatSession, fallback *Error) error {
	valid, err := s.checkSessionKey(c.UserContext(), tenantOf(c), ws)
	if err != nil {
		return err
	}
	if !valid {
		return &Error{Status: 409, Code: CodeSessionKeyStale, Message: "WeChat has replaced this session's key; call wx.login and log in again"}
	}
	return fallback
}

func (s *Server) checkSessionKey(ctx context.Context, t *tenants.Tenant, ws *wechatSession) (bool, error) {
	var valid bool
	err := s.deps.Tokens.Do(ctx, s.tokenTarget(t, ws.app), func(token string) error {
		var err error
		valid, err = s.deps.WeChat.CheckSession(ctx, token, ws.openid, ws.sessionKey)
		return err
	})
	return valid, err
}

// learn applies what decrypted or signed data says about the user: the
// profile, the unionid (merging accounts by the rule in users/merge.go)
// and an old-style phone number. When the session's user was merged away,
// it returns a session of the merged user.
func (s *Server) learn(c *fiber.Ctx, ws *wechatSession, data map[string]any) (*users.User, string, error) {
	ctx, t, sess := c.UserContext(), tenantOf(c), sessionOf(c)
	u := userOf(c)
	var p users.Profile
	if v, ok := data["nickName"].(string); ok && v != "" {
		p.Nickname = &v
	}
	if v, ok := data["avatarUrl"].(string); ok && v != "" {
		p.AvatarURL = &v
	}
	if (p.Nickname != nil || p.AvatarURL != nil) && p.Validate() == nil {
		updated, err := s.deps.Users.UpdateProfile(ctx, t.ID, u.ID, p)
		if err != nil {
			return nil, "", err
		}
		u = updated
	}
	if union, _ := data["unionId"].(string); union != "" && u.UnionID == nil {
		merged, err := s.deps.Users.LearnUnionID(ctx, users.Login{TenantID: t.ID, AppID: ws.app.ID, OpenID: ws.openid, UnionID: union})
		if err != nil {
			return nil, "", err
		}
		u = merged
	}
	if pure, _ := data["purePhoneNumber"].(string); pure != "" {
		cc, _ := data["countryCode"].(string)
		phone, err := users.PhoneOf(cc, pure)
		if err != nil {
			return nil, "", err
		}
		if u, err = s.deps.Users.BindPhone(ctx, t.ID, u.ID, phone); err != nil {
			return nil, "", err
		}
	}
	if u.ID == sess.UserID {
		return u, "", nil
	}
	if u.Banned() {
		return nil, "", users.ErrBanned
	}
	token, _, err := s.deps.Sessions.Create(ctx, sessions.New{
		TenantID: t.ID, UserID: u.ID, AppID: ws.app.ID, SessionKey: ws.sessionKey,
		TenantEpoch: t.SessionEpoch, UserEpoch: u.SessionEpoch,
		Idle: t.Settings.SessionIdle(), Absolute: t.Settings.SessionAbsolute(),
		IP: clientIP(c), UserAgent: c.Get(fiber.HeaderUserAgent),
	})
	return u, token, err
}

type sessionKeyResponse struct {
	Valid bool `json:"valid"`
}

// sessionKeyStatus asks WeChat whether the session's session_key is still
// current (GET /me/session-key).
func (s *Server) sessionKeyStatus(c *fiber.Ctx) error {
	ws, err := s.wechatSessionOf(c)
	if err != nil {
		return err
	}
	valid, err := s.checkSessionKey(c.UserContext(), tenantOf(c), ws)
	if err != nil {
		return err
	}
	return c.JSON(sessionKeyResponse{Valid: valid})
}
