package users_test

import (
	"context"
	"errors"
	"testing"

	"miniauth/tenants"
	"miniauth/tenants/users"
)

// Concurrent first logins with one verified number (SMS) make one user,
// and every one of them comes in as that user.
func TestConcurrentPhoneLoginsMakeOneUser(t *testing.T) {
	db, store, tn := setup(t)
	a := users.Attempt{Login: users.Login{TenantID: tn.ID}, Phone: "+8613800138000"}
	made := raceLogins(t, 16, func() (*users.User, bool, error) {
		return store.EnterByPhone(context.Background(), a, nil)
	})
	if made != 1 || count(t, db, "SELECT COUNT(*) FROM users WHERE tenant_id = ? AND phone = ?", tn.ID, a.Phone) != 1 {
		t.Fatalf("%d logins made the user; users: %d", made, count(t, db, "SELECT COUNT(*) FROM users"))
	}
	if n := count(t, db, "SELECT COUNT(*) FROM identities"); n != 0 {
		t.Fatalf("%d identities for a phone login", n)
	}
}

// The policies for a number no user has; a failed attempt writes nothing.
func TestEnterByPhonePolicies(t *testing.T) {
	db, store, tn := setup(t)
	ctx := context.Background()
	for _, c := range []struct {
		policy   string
		register bool
		want     error
	}{
		{tenants.RegistrationSignup, false, users.ErrUnknownIdentity},
		{tenants.RegistrationExistingOnly, false, users.ErrNotRegistered},
		{tenants.RegistrationExistingOnly, true, users.ErrNotRegistered},
	} {
		a := users.Attempt{Login: users.Login{TenantID: tn.ID}, Phone: "+8613900139000", Policy: c.policy, Register: c.register}
		if _, _, err := store.EnterByPhone(ctx, a, nil); !errors.Is(err, c.want) {
			t.Fatalf("%s (register %v): %v, want %v", c.policy, c.register, err, c.want)
		}
	}
	// A then that fails rolls the new user back.
	boom := errors.New("boom")
	a := users.Attempt{Login: users.Login{TenantID: tn.ID}, Phone: "+8613900139000"}
	if _, _, err := store.EnterByPhone(ctx, a, func(*users.User, bool) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("then's error: %v", err)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM users"); n != 0 {
		t.Fatalf("%d users after failed attempts", n)
	}
	a.Policy, a.Register = tenants.RegistrationSignup, true
	if _, created, err := store.EnterByPhone(ctx, a, nil); err != nil || !created {
		t.Fatalf("signup with Register: %v %v", created, err)
	}
}
