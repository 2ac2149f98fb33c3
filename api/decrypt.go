package api

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/gofiber/fiber/v2"

	"miniauth/tenants"
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
// signature, with the session's session_key, and answers the data (POST
// /me/decrypt). AES-CBC has no integrity: whoever holds the ciphertext can
// rewrite its first block by flipping IV bits, so nothing in the data binds,
// merges or changes an identity. unionid comes from code2session and web
// OAuth only, phone numbers from getuserphonenumber only.
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
	if id, present := data["openId"]; present && id != ws.openid {
		return &Error{Status: 400, Code: CodeOpenIDMismatch, Message: "the data names another WeChat user than this session's"}
	}
	u, err := s.fillFromOpenData(c, ws, data)
	if err != nil {
		return err
	}
	j := newUserJSON(u, false)
	j.IsNew = nil
	return c.JSON(decryptResponse{Data: data, User: j})
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

// fillFromOpenData lets user info fill a profile the user has left empty:
// never overwriting, never with WeChat's anonymous placeholders (which is
// all wx.getUserInfo returns now), never with an avatar that is not https.
// A nickname goes through the tenant's content check like any other; one
// that fails it is left out, the data is still answered.
func (s *Server) fillFromOpenData(c *fiber.Ctx, ws *wechatSession, data map[string]any) (*users.User, error) {
	u := userOf(c)
	if demoted, _ := data["is_demote"].(bool); demoted {
		return u, nil
	}
	nick, _ := data["nickName"].(string)
	avatar, _ := data["avatarUrl"].(string)
	var p users.Profile
	var review *wechat.SecCheck
	if u.Nickname == "" && nick != "" && !users.Anonymous(nick, "") && users.ValidNickname(nick) == nil {
		v, err := s.screenNickname(c, ws.app, ws.openid, nick)
		if err == nil {
			p.Nickname, review = &nick, v
		}
	}
	if u.AvatarURL == "" && avatar != "" && !users.Anonymous("", avatar) && s.clientAvatarURL(c, avatar) == nil {
		p.AvatarURL = &avatar
	}
	if p.Nickname == nil && p.AvatarURL == nil {
		return u, nil
	}
	filled, err := s.deps.Users.FillProfile(c.UserContext(), tenantOf(c).ID, u.ID, p)
	if err == nil && p.Nickname != nil && filled.Nickname == nick {
		s.auditReview(c, u.PublicID, nick, review)
	}
	return filled, err
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
