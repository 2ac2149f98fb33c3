package sessions

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// ErrBadAccessToken is returned for an access token that does not verify:
// malformed, tampered, expired, of another tenant or audience, or signed
// by a key the tenant no longer publishes. It never says which.
var ErrBadAccessToken = errors.New("sessions: invalid access token")

// AccessClaims are the claims of a miniauth access token.
type AccessClaims struct {
	jwt.RegisteredClaims
	SessionID string `json:"sid"`
	OpenID    string `json:"openid,omitempty"`
	UnionID   string `json:"unionid,omitempty"`
	AppID     string `json:"appid,omitempty"` // the WeChat AppID the user logged in with
}

// AccessTokens issues and verifies short-lived JWT access tokens signed
// with each tenant's own key.
type AccessTokens struct {
	keys *SigningKeys
	ttl  time.Duration
	now  func() time.Time
}

// NewAccessTokens returns an issuer whose tokens live for the key policy's
// TokenTTL.
func NewAccessTokens(keys *SigningKeys) *AccessTokens {
	return &AccessTokens{keys: keys, ttl: keys.policy.TokenTTL, now: keys.now}
}

// TTL is the lifetime of the tokens issued.
func (a *AccessTokens) TTL() time.Duration { return a.ttl }

// Keys is the signing key store behind the tokens.
func (a *AccessTokens) Keys() *SigningKeys { return a.keys }

// Mint is what goes into an access token.
type Mint struct {
	TenantID  int64
	Issuer    string // <public URL>/t/<slug>
	Audience  string // the tenant's slug
	Subject   string // the user's public id
	SessionID string
	OpenID    string
	UnionID   string
	AppID     string
}

// Issue signs an access token with the tenant's current key.
func (a *AccessTokens) Issue(ctx context.Context, m Mint) (string, *AccessClaims, error) {
	sg, err := a.keys.current(ctx, m.TenantID)
	if err != nil {
		return "", nil, err
	}
	now := a.now().Truncate(time.Second)
	claims := &AccessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    m.Issuer,
			Subject:   m.Subject,
			Audience:  jwt.ClaimStrings{m.Audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(a.ttl)),
			ID:        newJTI(),
		},
		SessionID: m.SessionID, OpenID: m.OpenID, UnionID: m.UnionID, AppID: m.AppID,
	}
	tok := jwt.NewWithClaims(method(sg.key.Alg), claims)
	tok.Header["kid"] = sg.key.KID
	signed, err := tok.SignedString(sg.priv)
	if err != nil {
		return "", nil, fmt.Errorf("sessions: sign: %w", err)
	}
	return signed, claims, nil
}

func method(alg string) jwt.SigningMethod {
	if alg == AlgEdDSA {
		return jwt.SigningMethodEdDSA
	}
	return jwt.SigningMethodES256
}

// Expect is what a token must say to be accepted for a tenant.
type Expect struct {
	TenantID int64
	Issuer   string
	Audience string
}

// Verify checks an access token against the keys the tenant publishes,
// its issuer, audience and lifetime. Only ES256 and EdDSA are accepted,
// and only with the algorithm the key named by kid was made for.
func (a *AccessTokens) Verify(ctx context.Context, token string, want Expect) (*AccessClaims, error) {
	keys, err := a.keys.Published(ctx, want.TenantID)
	if err != nil {
		return nil, err
	}
	var claims AccessClaims
	_, err = jwt.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		for i := range keys {
			if keys[i].KID == kid && keys[i].Alg == t.Method.Alg() {
				return keys[i].Public()
			}
		}
		return nil, errors.New("unknown kid")
	},
		jwt.WithValidMethods([]string{AlgES256, AlgEdDSA}),
		jwt.WithIssuer(want.Issuer),
		jwt.WithAudience(want.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(30*time.Second),
		jwt.WithTimeFunc(a.now),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadAccessToken, err)
	}
	if claims.Subject == "" || claims.SessionID == "" {
		return nil, ErrBadAccessToken
	}
	return &claims, nil
}

// newJTI is a token id: 96 random bits, base64url.
func newJTI() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("sessions: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}
