package main

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"miniauth/tenants"
	"miniauth/tenants/apikeys"
	"miniauth/tenants/sessions"
	"miniauth/tenants/webhooks"
)

// BackendsConfig configures what tenant backends use: JWT access tokens,
// their signing keys, and webhooks.
type BackendsConfig struct {
	JWTAlg         string        // MINIAUTH_JWT_ALG: ES256 (default) or EdDSA, for new tenant keys
	AccessTokenTTL time.Duration // MINIAUTH_ACCESS_TOKEN_TTL (default 15m)
	KeyRotation    time.Duration // MINIAUTH_SIGNING_KEY_ROTATION: rotate keys this old (default 720h)
	// MINIAUTH_WEBHOOKS_ALLOW_PRIVATE: let webhooks reach loopback, private
	// and link-local addresses (development only).
	WebhooksAllowPrivate bool
}

func loadBackendsConfig() (BackendsConfig, error) {
	c := BackendsConfig{JWTAlg: env("MINIAUTH_JWT_ALG", sessions.AlgES256)}
	var errs []error
	if c.JWTAlg != sessions.AlgES256 && c.JWTAlg != sessions.AlgEdDSA {
		errs = append(errs, errors.New("MINIAUTH_JWT_ALG must be ES256 or EdDSA"))
	}
	var err error
	if c.AccessTokenTTL, err = time.ParseDuration(env("MINIAUTH_ACCESS_TOKEN_TTL", "15m")); err != nil ||
		c.AccessTokenTTL < time.Minute || c.AccessTokenTTL > 24*time.Hour {
		errs = append(errs, errors.New("MINIAUTH_ACCESS_TOKEN_TTL must be a duration from 1m to 24h"))
	}
	if c.KeyRotation, err = time.ParseDuration(env("MINIAUTH_SIGNING_KEY_ROTATION", "720h")); err != nil || c.KeyRotation < time.Hour {
		errs = append(errs, errors.New("MINIAUTH_SIGNING_KEY_ROTATION must be a duration of at least 1h"))
	}
	if c.WebhooksAllowPrivate, err = strconv.ParseBool(env("MINIAUTH_WEBHOOKS_ALLOW_PRIVATE", "false")); err != nil {
		errs = append(errs, errors.New("MINIAUTH_WEBHOOKS_ALLOW_PRIVATE must be true or false"))
	}
	return c, errors.Join(errs...)
}

// backends are the stores behind the tenant-backend endpoints.
type backends struct {
	apiKeys  *apikeys.Store
	tokens   *sessions.AccessTokens
	webhooks *webhooks.Store
}

func newBackends(db *sqlx.DB, keys *tenants.Keyring, c BackendsConfig) backends {
	signing := sessions.NewSigningKeys(db, keys, sessions.KeyPolicy{Alg: c.JWTAlg, TokenTTL: c.AccessTokenTTL,
		RotateEvery: c.KeyRotation}, nil)
	return backends{
		apiKeys:  apikeys.NewStore(db),
		tokens:   sessions.NewAccessTokens(signing),
		webhooks: webhooks.NewStore(db, keys, webhooks.Config{AllowPrivate: c.WebhooksAllowPrivate}),
	}
}

// run is the background work of serve: scheduled signing key rotation and
// webhook delivery, until ctx ends.
func (b backends) run(ctx context.Context, log *slog.Logger) {
	go b.tokens.Keys().RunRotation(ctx, time.Hour, log)
	go b.webhooks.Run(ctx, log)
}
