package signup_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"miniauth/tenants/signup"
	"miniauth/tenants/tenantstest"
)

func TestTickets(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := tenantstest.Redis(t)
	s := signup.NewStore(rdb, prefix, tenantstest.Keyring(t))
	p := signup.Pending{AppID: 3, OpenID: "oT", UnionID: "uT", SessionKey: "a2V5a2V5a2V5a2V5a2V5aw==", Phone: "+8613800138000"}
	ticket, err := s.Issue(ctx, 1, p)
	if err != nil || !strings.HasPrefix(ticket, signup.TicketPrefix) {
		t.Fatalf("Issue = %q, %v", ticket, err)
	}
	// Redis holds neither the ticket nor the session_key in the clear.
	keys, _ := rdb.Keys(ctx, prefix+":*").Result()
	for _, k := range keys {
		v, _ := rdb.Get(ctx, k).Result()
		if strings.Contains(k+v, ticket) || strings.Contains(v, p.SessionKey) {
			t.Fatalf("Redis holds a secret in clear: %s", k)
		}
	}
	got, err := s.Peek(ctx, 1, ticket)
	if err != nil || *got != p {
		t.Fatalf("Peek = %+v, %v", got, err)
	}
	tests := []struct {
		name   string
		tenant int64
		ticket string
	}{
		{"another tenant", 2, ticket},
		{"malformed", 1, "mat_x"},
		{"unknown", 1, signup.TicketPrefix + strings.Repeat("A", 43)},
	}
	for _, tt := range tests {
		if _, err := s.Peek(ctx, tt.tenant, tt.ticket); !errors.Is(err, signup.ErrInvalid) {
			t.Errorf("%s: Peek err = %v", tt.name, err)
		}
	}
	if err := s.Spend(ctx, 1, ticket); err != nil {
		t.Fatal(err)
	}
	if err := s.Spend(ctx, 1, ticket); !errors.Is(err, signup.ErrInvalid) {
		t.Fatalf("second Spend = %v", err)
	}
	if _, err := s.Peek(ctx, 1, ticket); !errors.Is(err, signup.ErrInvalid) {
		t.Fatalf("Peek after Spend = %v", err)
	}
}

func TestStates(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := tenantstest.Redis(t)
	s := signup.NewStore(rdb, prefix, tenantstest.Keyring(t))
	st := signup.State{AppID: 9, Scope: "snsapi_base", RedirectURI: "https://h5.example.com/done"}
	state, err := s.NewState(ctx, 1, st)
	if err != nil || len(state) != 32 || strings.Trim(state, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
		t.Fatalf("NewState = %q, %v (WeChat takes [a-zA-Z0-9] only)", state, err)
	}
	if _, err := s.TakeState(ctx, 2, state); !errors.Is(err, signup.ErrInvalid) {
		t.Fatalf("another tenant took the state: %v", err)
	}
	got, err := s.TakeState(ctx, 1, state)
	if err != nil || *got != st {
		t.Fatalf("TakeState = %+v, %v", got, err)
	}
	if _, err := s.TakeState(ctx, 1, state); !errors.Is(err, signup.ErrInvalid) {
		t.Fatalf("a state worked twice: %v", err)
	}
}
