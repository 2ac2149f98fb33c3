package sms

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// SettingsLoader gives a tenant's settings with the secret (Store.Load).
type SettingsLoader interface {
	Load(ctx context.Context, tenantID int64) (*Settings, error)
}

// SenderConfig wires a Sender.
type SenderConfig struct {
	Settings  SettingsLoader
	Codes     *Codes
	Budgets   *Budgets
	Endpoints Endpoints
	Logger    *slog.Logger // slog.Default() when nil
	// NewProvider builds a tenant's provider; Settings.NewProvider with
	// Endpoints when nil.
	NewProvider func(*Settings) (Provider, error)
}

// Sender sends codes: budgets first, then the code, then the provider.
type Sender struct {
	cfg SenderConfig
	log *slog.Logger

	// A provider per tenant, kept while its settings stay the same: an SDK
	// client holds its own connection pool, which one per send would
	// leave behind by the hundred.
	mu        sync.Mutex
	providers map[int64]cachedProvider
}

type cachedProvider struct {
	fingerprint [sha256.Size]byte // of the settings the provider was built from, secret included
	p           Provider
}

// NewSender returns a Sender.
func NewSender(cfg SenderConfig) *Sender {
	if cfg.NewProvider == nil {
		ep := cfg.Endpoints
		cfg.NewProvider = func(s *Settings) (Provider, error) { return s.NewProvider(ep) }
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Sender{cfg: cfg, log: log, providers: make(map[int64]cachedProvider)}
}

// provider returns the tenant's provider for st, built once per settings.
func (s *Sender) provider(tenantID int64, st *Settings) (Provider, error) {
	view, _ := json.Marshal(st) // Settings always marshals; the secret is not in it
	fp := sha256.Sum256(append(append(view, 0), st.Secret...))
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.providers[tenantID]; ok && c.fingerprint == fp {
		return c.p, nil
	}
	p, err := s.cfg.NewProvider(st)
	if err != nil {
		return nil, err
	}
	s.providers[tenantID] = cachedProvider{fingerprint: fp, p: p}
	return p, nil
}

// Send sends a code for purpose to phone (any accepted form), on behalf of
// the client at clientIP. It answers how long the code lives and how long
// until the phone may ask again. Errors:
//   - ErrInvalidPhone: not a phone number, or outside the tenant's prefixes;
//     ErrInvalidNumber (wrapped in a *ProviderError) when the provider
//     refused the number;
//   - ErrInvalidPurpose;
//   - ErrNotFound: the tenant has no SMS settings;
//   - a *LimitError (ErrRateLimited; ErrDailyCap for the tenant's cap;
//     with Budget BudgetProvider, wrapping ErrProviderLimit, when the
//     provider's own limit refused);
//   - ErrNoBalance, ErrMisconfigured, ErrUnavailable from the provider.
//
// When the provider fails, the code is withdrawn (the one it replaced is
// back), and the phone's and the tenant's budgets are given back so that
// the user can retry; the address's stays spent, and the phone's too when
// the provider said the phone is over its limits.
func (s *Sender) Send(ctx context.Context, tenantID int64, phone, purpose, clientIP string) (expiresIn, resendAfter time.Duration, err error) {
	phone, err = NormalizePhone(phone)
	if err != nil {
		return 0, 0, err
	}
	if !validPurpose(purpose) {
		return 0, 0, ErrInvalidPurpose
	}
	st, err := s.cfg.Settings.Load(ctx, tenantID)
	if err != nil {
		return 0, 0, err
	}
	if !Allowed(phone, st.Prefixes()) {
		return 0, 0, ErrInvalidPhone
	}
	phoneID := s.cfg.Codes.phoneID(phone)
	log := s.log.With("tenant_id", tenantID, "phone", mask(phone), "phone_id", phoneID, "purpose", purpose, "provider", st.Provider)
	res, resend, err := s.cfg.Budgets.Reserve(ctx, tenantID, phoneID, clientIP, st.Limits)
	if err != nil {
		var le *LimitError
		if errors.As(err, &le) {
			log.Info("sms budget spent", "budget", le.Budget, "retry_after_ms", le.RetryAfter.Milliseconds(), "address", addressBucket(clientIP))
		}
		return 0, 0, err
	}
	p, err := s.provider(tenantID, st)
	if err != nil {
		s.cfg.Budgets.Release(ctx, res, false)
		return 0, 0, err
	}
	code, issued, err := s.cfg.Codes.Issue(ctx, tenantID, phone, purpose)
	if err != nil {
		s.cfg.Budgets.Release(ctx, res, false)
		return 0, 0, err
	}
	params := make([]string, 0, 2)
	for _, name := range st.Params() {
		if name == "code" {
			params = append(params, code)
		} else {
			params = append(params, strconv.Itoa(int(CodeTTL/time.Minute)))
		}
	}
	start := time.Now()
	if err := p.Send(ctx, phone, params); err != nil {
		if werr := s.cfg.Codes.Withdraw(context.WithoutCancel(ctx), issued); werr != nil {
			log.Error("sms code not withdrawn", "err", werr)
		}
		limited := errors.Is(err, ErrProviderLimit)
		s.cfg.Budgets.Release(ctx, res, limited)
		attrs := []any{"err", err, "duration_ms", time.Since(start).Milliseconds()}
		var pe *ProviderError
		if errors.As(err, &pe) {
			attrs = append(attrs, "provider_code", pe.Code, "provider_request_id", pe.RequestID)
		}
		log.Warn("sms send failed", attrs...)
		if limited {
			return 0, 0, &LimitError{Budget: BudgetProvider, RetryAfter: max(resend, time.Minute), Err: err}
		}
		return 0, 0, err
	}
	log.Info("sms code sent", "duration_ms", time.Since(start).Milliseconds(), "resend_after_ms", resend.Milliseconds())
	return CodeTTL, resend, nil
}

// Verify spends code for phone (any accepted form) and purpose and
// returns the phone in E.164, to find or bind the account by. Errors:
// ErrInvalidPhone, ErrInvalidPurpose, or ErrInvalidCode for every code
// that is not the one in flight.
func (s *Sender) Verify(ctx context.Context, tenantID int64, phone, purpose, code string) (string, error) {
	phone, err := NormalizePhone(phone)
	if err != nil {
		return "", err
	}
	if err := s.cfg.Codes.Verify(ctx, tenantID, phone, purpose, code); err != nil {
		if errors.Is(err, ErrInvalidCode) {
			s.log.Info("sms code refused", "tenant_id", tenantID, "phone", mask(phone), "purpose", purpose)
		}
		return "", err
	}
	return phone, nil
}

// mask shows a phone for logs: "+86138****8000".
func mask(phone string) string {
	if len(phone) < 9 {
		return "****"
	}
	return phone[:len(phone)-8] + "****" + phone[len(phone)-4:]
}
