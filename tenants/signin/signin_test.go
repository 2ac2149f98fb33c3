package signin_test

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/sessions"
	"miniauth/tenants/signin"
	"miniauth/tenants/signup"
	"miniauth/tenants/stats"
	"miniauth/tenants/users"
	"miniauth/tenants/wechat"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Enter: a new identity is a new user with a session, the same identity
// again is the same user with another, a banned user gets no session.
func TestEnter(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	a := e.attempt(e.tenant, "oENTER00000000000000000000001")

	first, err := e.svc.Enter(ctx, e.tenant, signin.Entry{Attempt: a, SessionKey: "sk", Client: client, Way: stats.WayMiniProgram})
	if err != nil {
		t.Fatal(err)
	}
	if !first.Created || first.User == nil || first.Token == "" || first.Session == nil {
		t.Fatalf("a new identity: %+v", first)
	}
	if first.AccessToken.Token != "" {
		t.Fatal("an access token nobody asked for")
	}
	if first.Session.UserID != first.User.ID || first.Session.TenantID != e.tenant.ID || first.Session.AppID != a.AppID {
		t.Fatalf("the session does not name its user, tenant and app: %+v", first.Session)
	}

	again, err := e.svc.Enter(ctx, e.tenant, signin.Entry{Attempt: a, Client: client, AccessToken: true})
	if err != nil {
		t.Fatal(err)
	}
	if again.Created || again.User.ID != first.User.ID || again.Token == first.Token {
		t.Fatalf("a returning identity: created %v, user %d (was %d), same token %v",
			again.Created, again.User.ID, first.User.ID, again.Token == first.Token)
	}
	if again.AccessToken.Token == "" || again.AccessToken.ExpiresIn <= 0 {
		t.Fatalf("no access token though asked: %+v", again.AccessToken)
	}
	if got := e.usersOf(t); got != 1 {
		t.Fatalf("%d users after two logins of one identity", got)
	}
	if got := e.sessionsIn(t); got != 2 {
		t.Fatalf("%d sessions after two logins", got)
	}

	if err := e.users.SetBanned(ctx, e.tenant.ID, first.User.ID, true, audit.CLI); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Enter(ctx, e.tenant, signin.Entry{Attempt: a, Client: client}); !errors.Is(err, users.ErrBanned) {
		t.Fatalf("a banned user's login: %v", err)
	}
	if got := e.sessionsIn(t); got != 2 {
		t.Fatalf("a banned user's login made a session: %d", got)
	}
}

// What InTx refuses is not written: no user, no session.
func TestEnterInTxFailureWritesNothing(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	boom := errors.New("the ticket was spent elsewhere")
	_, err := e.svc.Enter(ctx, e.tenant, signin.Entry{Attempt: e.attempt(e.tenant, "oINTX000000000000000000000001"),
		Client: client, InTx: func() error { return boom }})
	if !errors.Is(err, boom) {
		t.Fatalf("Enter: %v, want InTx's error", err)
	}
	if n := e.usersOf(t); n != 0 {
		t.Fatalf("%d users written though InTx failed", n)
	}
	if n := e.count(t, `SELECT COUNT(*) FROM identities WHERE tenant_id = ?`, e.tenant.ID); n != 0 {
		t.Fatalf("%d identities written though InTx failed", n)
	}
	if n := e.sessionsIn(t); n != 0 {
		t.Fatalf("%d sessions written though InTx failed", n)
	}
}

// Redis down for the sessions: the new user is not written either, and
// once Redis is back the same identity comes in as new.
func TestEnterRedisFailureWritesNoUser(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	a := e.attempt(e.tenant, "oREDIS00000000000000000000001")
	e.redis.Down()
	_, err := e.svc.Enter(ctx, e.tenant, signin.Entry{Attempt: a, Client: client})
	e.redis.Up(t)
	if err == nil {
		t.Fatal("Enter worked with Redis down")
	}
	if n := e.usersOf(t); n != 0 {
		t.Fatalf("%d users written though the session was not", n)
	}
	in, err := e.svc.Enter(ctx, e.tenant, signin.Entry{Attempt: a, Client: client})
	if err != nil {
		t.Fatal(err)
	}
	if !in.Created {
		t.Fatal("the identity was known after a failed first login")
	}
}

// The mini-program's way in: a code is a user with a session and an access
// token; under signup, an unknown identity gets a ticket that names its way
// in and nothing else; a code WeChat refuses is WeChat's error.
func TestMiniProgram(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)

	res, err := e.svc.MiniProgram(ctx, e.tenant, signin.MiniProgramLogin{Code: e.code(t, "lin")}, client)
	if err != nil {
		t.Fatal(err)
	}
	if res.Ticket != "" || !res.Created || res.Token == "" || res.AccessToken.Token == "" || res.PhoneErr != nil {
		t.Fatalf("a first login under auto: %+v", res)
	}
	if res.Session.AppID != e.tenant.Apps[0].ID {
		t.Fatalf("the session is for app %d, want %d", res.Session.AppID, e.tenant.Apps[0].ID)
	}
	again, err := e.svc.MiniProgram(ctx, e.tenant, signin.MiniProgramLogin{Code: e.code(t, "lin")}, client)
	if err != nil {
		t.Fatal(err)
	}
	if again.Created || again.User.ID != res.User.ID {
		t.Fatalf("the same WeChat user again: created %v, user %d (was %d)", again.Created, again.User.ID, res.User.ID)
	}

	_, err = e.svc.MiniProgram(ctx, e.tenant, signin.MiniProgramLogin{Code: "not-a-code-wechat-issued"}, client)
	if !wechat.IsBadCode(err) {
		t.Fatalf("a code WeChat did not issue: %v", err)
	}
	if _, err := e.svc.MiniProgram(ctx, e.tenant, signin.MiniProgramLogin{Code: e.code(t, "lin"), AppID: "wxnotthetenants1"}, client); !errors.Is(err, tenants.ErrAppUnknown) {
		t.Fatalf("another tenant's AppID: %v", err)
	}

	signupOnly := e.withPolicy(tenants.RegistrationSignup)
	users0, sessions0 := e.usersOf(t), e.sessionsIn(t)
	res, err = e.svc.MiniProgram(ctx, signupOnly, signin.MiniProgramLogin{Code: e.code(t, "wen")}, client)
	if err != nil {
		t.Fatal(err)
	}
	if res.Ticket == "" || res.User != nil || res.Token != "" {
		t.Fatalf("an unknown identity under signup: %+v", res)
	}
	if e.usersOf(t) != users0 || e.sessionsIn(t) != sessions0 {
		t.Fatal("a sign-up ticket came with a user or a session")
	}
	p, err := e.signup.Peek(ctx, e.tenant.ID, res.Ticket)
	if err != nil {
		t.Fatal(err)
	}
	if p.Way != stats.WayMiniProgram || p.SessionKey == "" || p.AppID != e.tenant.Apps[0].ID {
		t.Fatalf("the ticket's pending identity: %+v", p)
	}
}

// Register: a ticket becomes a user with the chosen nickname, once; a
// refused registration leaves the ticket usable.
func TestRegister(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	signupOnly := e.withPolicy(tenants.RegistrationSignup)
	res, err := e.svc.MiniProgram(ctx, signupOnly, signin.MiniProgramLogin{Code: e.code(t, "mei")}, client)
	if err != nil || res.Ticket == "" {
		t.Fatalf("no ticket: %v %+v", err, res)
	}
	nick := "Mei"
	in, err := e.svc.Register(ctx, signupOnly, signin.Registration{Ticket: res.Ticket, Nickname: &nick}, client)
	if err != nil {
		t.Fatal(err)
	}
	if !in.Created || in.User.Nickname != nick || in.Token == "" || in.AccessToken.Token == "" {
		t.Fatalf("a registration: %+v", in)
	}
	if _, err := e.svc.Register(ctx, signupOnly, signin.Registration{Ticket: res.Ticket}, client); !errors.Is(err, signup.ErrInvalid) {
		t.Fatalf("a spent ticket again: %v", err)
	}
	if n := e.usersOf(t); n != 1 {
		t.Fatalf("%d users after one registration", n)
	}
	// The registered identity now logs in as itself.
	again, err := e.svc.MiniProgram(ctx, signupOnly, signin.MiniProgramLogin{Code: e.code(t, "mei")}, client)
	if err != nil || again.Ticket != "" || again.User == nil || again.User.ID != in.User.ID {
		t.Fatalf("the registered user's next login: %v %+v", err, again)
	}

	for _, ticket := range []string{"", "mat_notaticket", signup.TicketPrefix + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
		if _, err := e.svc.Register(ctx, signupOnly, signin.Registration{Ticket: ticket}, client); !errors.Is(err, signup.ErrInvalid) {
			t.Fatalf("ticket %q: %v", ticket, err)
		}
	}

	// existing_only wants a phone number; without one the ticket stays.
	existing := e.withPolicy(tenants.RegistrationExistingOnly)
	res, err = e.svc.MiniProgram(ctx, existing, signin.MiniProgramLogin{Code: e.code(t, "hua")}, client)
	if err != nil || res.Ticket == "" {
		t.Fatalf("no ticket under existing_only: %v %+v", err, res)
	}
	if _, err := e.svc.Register(ctx, existing, signin.Registration{Ticket: res.Ticket}, client); !errors.Is(err, signin.ErrPhoneRequired) {
		t.Fatalf("existing_only without a phone code: %v", err)
	}
	if _, err := e.signup.Peek(ctx, e.tenant.ID, res.Ticket); err != nil {
		t.Fatalf("a refused registration spent the ticket: %v", err)
	}
	if n := e.usersOf(t); n != 1 {
		t.Fatalf("a refused registration wrote a user: %d", n)
	}
}

// Authenticate and the revocations: a live token is its session and
// user; one malformed, of another tenant, revoked one by one, with all of
// its user's or its tenant's, is not; a banned user's is refused as such.
func TestAuthenticateAndRevoke(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	enter := func(tn *tenants.Tenant, openid string) signin.Entered {
		t.Helper()
		in, err := e.svc.Enter(ctx, tn, signin.Entry{Attempt: e.attempt(tn, openid), Client: client})
		if err != nil {
			t.Fatal(err)
		}
		return in
	}
	live := func(tn *tenants.Tenant, token string) error {
		t.Helper()
		_, _, err := e.svc.Authenticate(ctx, tn, token, nil)
		return err
	}
	one, two := enter(e.tenant, "oAUTH000000000000000000000001"), enter(e.tenant, "oAUTH000000000000000000000001")
	other := enter(e.tenant, "oAUTH000000000000000000000002")

	sess, u, err := e.svc.Authenticate(ctx, e.tenant, one.Token, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sess.ID != one.Session.ID || u.ID != one.User.ID {
		t.Fatalf("Authenticate: session %s user %d, want %s %d", sess.ID, u.ID, one.Session.ID, one.User.ID)
	}
	limited := errors.New("over budget")
	if _, _, err := e.svc.Authenticate(ctx, e.tenant, one.Token, func(id string) error {
		if id != one.Session.ID {
			t.Errorf("the limit was asked about session %s", id)
		}
		return limited
	}); !errors.Is(err, limited) {
		t.Fatalf("the session's limit: %v", err)
	}
	for _, bad := range []string{"", "not a token", one.Token + "x"} {
		if err := live(e.tenant, bad); !errors.Is(err, sessions.ErrNotFound) {
			t.Fatalf("token %q: %v", bad, err)
		}
	}
	b, err := e.reg.Create(ctx, tenants.NewTenant{Slug: "bravo", Name: "B", AppID: "wxsigninbravo1", Secret: secret, Actor: audit.CLI})
	if err != nil {
		t.Fatal(err)
	}
	if err := live(b, one.Token); !errors.Is(err, sessions.ErrNotFound) {
		t.Fatalf("a token of another tenant: %v", err)
	}

	// One session.
	if err := e.svc.RevokeSession(ctx, e.tenant, one.User, one.Session.ID, one.Session.ExpiresAt,
		signin.Revocation{Reason: "logout"}); err != nil {
		t.Fatal(err)
	}
	if err := live(e.tenant, one.Token); !errors.Is(err, sessions.ErrNotFound) {
		t.Fatalf("a revoked session: %v", err)
	}
	if err := live(e.tenant, two.Token); err != nil {
		t.Fatalf("the user's other session after one was revoked: %v", err)
	}

	// A ban ends the user's sessions at once, and they stay ended after
	// the ban is lifted.
	if err := e.users.SetBanned(ctx, e.tenant.ID, other.User.ID, true, audit.CLI); err != nil {
		t.Fatal(err)
	}
	if err := live(e.tenant, other.Token); !errors.Is(err, sessions.ErrNotFound) && !errors.Is(err, users.ErrBanned) {
		t.Fatalf("a banned user's session: %v", err)
	}
	if err := e.users.SetBanned(ctx, e.tenant.ID, other.User.ID, false, audit.CLI); err != nil {
		t.Fatal(err)
	}
	if err := live(e.tenant, other.Token); err == nil {
		t.Fatal("a session ended by a ban is live again after the ban is lifted")
	}
	other = enter(e.tenant, "oAUTH000000000000000000000002")

	// All of a user's.
	three := enter(e.tenant, "oAUTH000000000000000000000001")
	n, err := e.svc.RevokeUser(ctx, e.tenant, one.User, audit.CLI)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("RevokeUser ended %d sessions, want 2", n)
	}
	for _, tok := range []string{two.Token, three.Token} {
		if err := live(e.tenant, tok); !errors.Is(err, sessions.ErrNotFound) {
			t.Fatalf("a session of a revoked user: %v", err)
		}
	}
	if err := live(e.tenant, other.Token); err != nil {
		t.Fatalf("another user's session after RevokeUser: %v", err)
	}

	// All of the tenant's: the tenant as read after the change.
	if err := e.svc.RevokeTenant(ctx, e.tenant, audit.CLI); err != nil {
		t.Fatal(err)
	}
	after, err := e.reg.BySlug(ctx, e.tenant.Slug)
	if err != nil {
		t.Fatal(err)
	}
	if err := live(after, other.Token); !errors.Is(err, sessions.ErrNotFound) {
		t.Fatalf("a session after the tenant's were revoked: %v", err)
	}
	if fresh := enter(after, "oAUTH000000000000000000000002"); live(after, fresh.Token) != nil {
		t.Fatal("a session made after the tenant's revocation is not live")
	}
}
