package users_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"miniauth/tenants"
	"miniauth/tenants/audit"
	"miniauth/tenants/users"
)

func TestMergeRule(t *testing.T) {
	ctx := context.Background()
	db, store, tn := setup(t)
	app1 := secondApp(t, db, tn)
	app0 := tn.Apps[0].ID

	tests := []struct {
		name string
		// older logs in first through app0 without a unionid; newer holds
		// the unionid through app1; then older's identity learns it.
		olderBanned, newerBanned bool
		olderPhone, newerPhone   string
		wantPhone                string
		wantBanned               bool
	}{
		{name: "phone taken from the loser", newerPhone: "+8613000000001", wantPhone: "+8613000000001"},
		{name: "winner keeps its own phone", olderPhone: "+8613000000002", newerPhone: "+8613000000003", wantPhone: "+8613000000002"},
		{name: "a ban is never lifted", newerBanned: true, wantBanned: true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			union := "uMERGE" + string(rune('A'+i))
			oOld, oNew := "oOld"+union, "oNew"+union
			older, _, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: app0, OpenID: oOld}, nil)
			if err != nil {
				t.Fatal(err)
			}
			newer, _, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: app1, OpenID: oNew, UnionID: union}, nil)
			if err != nil {
				t.Fatal(err)
			}
			nick := "新名字"
			if _, err := store.UpdateProfile(ctx, tn.ID, newer.ID, users.Profile{Nickname: &nick}); err != nil {
				t.Fatal(err)
			}
			for _, p := range []struct {
				id    int64
				phone string
			}{{older.ID, tt.olderPhone}, {newer.ID, tt.newerPhone}} {
				if p.phone != "" {
					if _, err := store.BindPhone(ctx, tn.ID, p.id, p.phone); err != nil {
						t.Fatal(err)
					}
				}
			}
			if tt.newerBanned {
				db.MustExec(`UPDATE users SET status = 'banned' WHERE id = ?`, newer.ID)
			}

			got, _, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: app0, OpenID: oOld, UnionID: union}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != older.ID || got.PublicID != older.PublicID {
				t.Fatalf("winner %s, want the older user %s", got.PublicID, older.PublicID)
			}
			if got.UnionID == nil || *got.UnionID != union || got.Nickname != nick || got.Banned() != tt.wantBanned {
				t.Fatalf("winner %+v: want the unionid, the loser's nickname, banned=%v", got, tt.wantBanned)
			}
			if tt.wantPhone != "" && (got.Phone == nil || *got.Phone != tt.wantPhone) {
				t.Fatalf("winner's phone %v, want %s", got.Phone, tt.wantPhone)
			}
			if _, err := store.ByID(ctx, tn.ID, newer.ID); err != users.ErrNotFound {
				t.Fatalf("the loser still exists: %v", err)
			}
			if n := count(t, db, `SELECT COUNT(*) FROM identities WHERE user_id = ?`, older.ID); n != 2 {
				t.Fatalf("winner has %d identities, want both", n)
			}
			// Nothing lost: the loser's row and identities are in the snapshot.
			var snap []byte
			if err := db.Get(&snap, `SELECT snapshot FROM user_merges WHERE loser_public_id = ? AND winner_id = ?`, newer.PublicID, older.ID); err != nil {
				t.Fatal(err)
			}
			var s struct {
				User struct {
					PublicID string  `json:"public_id"`
					Phone    *string `json:"phone"`
					Status   string  `json:"status"`
				} `json:"user"`
				Identities []struct {
					OpenID string `json:"openid"`
				} `json:"identities"`
			}
			if err := json.Unmarshal(snap, &s); err != nil || s.User.PublicID != newer.PublicID || len(s.Identities) != 1 || s.Identities[0].OpenID != oNew {
				t.Fatalf("snapshot %s", snap)
			}
			if tt.newerPhone != "" && (s.User.Phone == nil || *s.User.Phone != tt.newerPhone) {
				t.Fatalf("the loser's phone is not in the snapshot: %s", snap)
			}
			if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE action = 'user.merged' AND target_id = ? AND JSON_EXTRACT(details, '$.merged') = ?`,
				older.PublicID, newer.PublicID); n != 1 {
				t.Fatalf("%d audit entries for the merge", n)
			}
			if w, err := store.MergedInto(ctx, tn.ID, newer.PublicID); err != nil || w.ID != older.ID {
				t.Fatalf("MergedInto = %v, %v", w, err)
			}
			// The loser's identity now logs the winner in.
			again, _, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: app1, OpenID: oNew, UnionID: union}, nil)
			if err != nil || again.ID != older.ID {
				t.Fatalf("loser's identity logs in %v, %v", again, err)
			}
		})
	}
}

func TestMergeFailureWritesNothing(t *testing.T) {
	ctx := context.Background()
	db, store, tn := setup(t)
	app1 := secondApp(t, db, tn)
	if _, _, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: tn.Apps[0].ID, OpenID: "oA"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: app1, OpenID: "oB", UnionID: "uX"}, nil); err != nil {
		t.Fatal(err)
	}
	boom := tenants.Invalid("session could not be made")
	_, _, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: tn.Apps[0].ID, OpenID: "oA", UnionID: "uX"},
		func(*users.User, bool) error { return boom })
	if err != boom {
		t.Fatalf("err = %v", err)
	}
	if count(t, db, "SELECT COUNT(*) FROM users") != 2 || count(t, db, "SELECT COUNT(*) FROM user_merges") != 0 ||
		count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'user.merged'") != 0 {
		t.Fatal("a failed login still merged")
	}
}

func TestImport(t *testing.T) {
	ctx := context.Background()
	db, store, tn := setup(t)
	rows, err := users.ParseImportCSV(stringsReader("\ufeffname,phone,external_id\n王小明,138 0013 8000,crm-1\n李雷,+852 5123 4567,\n"))
	if err != nil || len(rows) != 2 {
		t.Fatalf("parse: %v %v", rows, err)
	}
	res, err := store.Import(ctx, tn.ID, rows, audit.CLI)
	if err != nil || res.Created != 2 || len(res.Errors) != 0 {
		t.Fatalf("import: %+v %v", res, err)
	}
	if u, err := store.ByPhone(ctx, tn.ID, "13800138000"); err != nil || u.Nickname != "王小明" {
		t.Fatalf("ByPhone: %v %v", u, err)
	}
	// Again with a changed name: matched by external_id, updated.
	res, err = store.Import(ctx, tn.ID, []users.ImportRow{{Line: 1, Phone: "13800138000", Name: "王明", ExternalID: "crm-1"}}, audit.CLI)
	if err != nil || res.Updated != 1 || res.Created != 0 {
		t.Fatalf("re-import: %+v %v", res, err)
	}
	bad := []users.ImportRow{
		{Line: 1, Phone: "13900000000", Name: "ok"},
		{Line: 2, Phone: "12345", Name: "short"},
		{Line: 3, Phone: "13900000000", Name: "twice"},
	}
	res, err = store.Import(ctx, tn.ID, bad, audit.CLI)
	if err != nil || len(res.Errors) != 2 || res.Errors[0].Line != 2 || res.Errors[1].Line != 3 {
		t.Fatalf("bad import: %+v %v", res, err)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM users WHERE tenant_id = ?", tn.ID); n != 2 {
		t.Fatalf("%d users after a refused import, want 2", n)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'users.imported'"); n != 2 {
		t.Fatalf("%d import audit entries, want 2", n)
	}
}

func TestNormalizePhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"13800138000", "+8613800138000"},
		{"+86 138-0013-8000", "+8613800138000"},
		{"0086 13800138000", "+8613800138000"},
		{"(+1) 202 555 0123", "+12025550123"},
		{"12345", ""},
		{"+0123456789", ""},
		{"+86 abc", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := users.NormalizePhone(tt.in)
		if (tt.want == "") != (err != nil) || got != tt.want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }

type recorder struct{ events []users.Event }

func (r *recorder) UserEvent(_ context.Context, _ *sqlx.Tx, e users.Event) error {
	r.events = append(r.events, e)
	return nil
}

func TestMergeTellsBackends(t *testing.T) {
	ctx := context.Background()
	db, _, tn := setup(t)
	rec := &recorder{}
	store := users.NewStore(db, users.WithEvents(rec))
	app1 := secondApp(t, db, tn)
	older, _, _ := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: tn.Apps[0].ID, OpenID: "oA"}, nil)
	newer, _, _ := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: app1, OpenID: "oB", UnionID: "uE"}, nil)
	rec.events = nil
	if _, _, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: tn.Apps[0].ID, OpenID: "oA", UnionID: "uE"}, nil); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range rec.events {
		got = append(got, e.Type+" "+e.User.PublicID)
	}
	want := []string{users.EventDeleted + " " + newer.PublicID, users.EventUpdated + " " + older.PublicID, users.EventLogin + " " + older.PublicID}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("events %v, want %v", got, want)
	}
}

func TestConcurrentLoginsMergeOnce(t *testing.T) {
	ctx := context.Background()
	db, store, tn := setup(t)
	app1 := secondApp(t, db, tn)
	older, _, _ := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: tn.Apps[0].ID, OpenID: "oA"}, nil)
	if _, _, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: app1, OpenID: "oB", UnionID: "uC"}, nil); err != nil {
		t.Fatal(err)
	}
	// Logins through both identities at once, while the first of those
	// through oA merges the two users.
	const n = 10
	var wg sync.WaitGroup
	errs := make([]error, n)
	ids := make([]int64, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			l := users.Login{TenantID: tn.ID, AppID: tn.Apps[0].ID, OpenID: "oA", UnionID: "uC"}
			if i%2 == 1 {
				l = users.Login{TenantID: tn.ID, AppID: app1, OpenID: "oB", UnionID: "uC"}
			}
			u, _, err := store.FindOrRegister(ctx, l, nil)
			if err == nil {
				ids[i] = u.ID
			}
			errs[i] = err
		}(i)
	}
	wg.Wait()
	for i := range errs {
		// The merging logins (through oA) always end with the older user; a
		// login through oB may have committed before the merge began.
		if errs[i] != nil || (i%2 == 0 && ids[i] != older.ID) {
			t.Fatalf("login %d: user %d, %v; want the older user %d", i, ids[i], errs[i], older.ID)
		}
	}
	if count(t, db, "SELECT COUNT(*) FROM users") != 1 || count(t, db, "SELECT COUNT(*) FROM user_merges") != 1 {
		t.Fatal("want one user and one merge")
	}
}

// TestMergeMovesTheAvatar: a winner without an avatar takes the loser's
// avatar_url, and the uploaded image behind it follows; a winner with its
// own keeps it, and the loser's upload goes with the loser.
func TestMergeMovesTheAvatar(t *testing.T) {
	ctx := context.Background()
	db, store, tn := setup(t)
	res, err := db.Exec(`INSERT INTO apps (tenant_id, appid, secret_sealed, secret_key_id) VALUES (?, 'wxsecond0002', x'00', 'k')`, tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	app1, _ := res.LastInsertId()
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	for i, winnerHasOne := range []bool{false, true} {
		union := "uAVATAR" + string(rune('A'+i))
		older, _, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: tn.Apps[0].ID, OpenID: "oOld" + union}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if winnerHasOne {
			if _, err := store.SetAvatar(ctx, tn.ID, older.ID, png, "https://auth.example/t/x/avatars/"); err != nil {
				t.Fatal(err)
			}
		}
		newer, _, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: app1, OpenID: "oNew" + union, UnionID: union}, nil)
		if err != nil {
			t.Fatal(err)
		}
		loserURL, err := store.SetAvatar(ctx, tn.ID, newer.ID, png, "https://auth.example/t/x/avatars/")
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := store.FindOrRegister(ctx, users.Login{TenantID: tn.ID, AppID: tn.Apps[0].ID, OpenID: "oOld" + union, UnionID: union}, nil)
		if err != nil || got.ID != older.ID {
			t.Fatalf("merge: %v %+v", err, got)
		}
		id := strings.TrimPrefix(loserURL.AvatarURL, "https://auth.example/t/x/avatars/")
		_, err = store.AvatarByPublicID(ctx, tn.ID, id)
		switch {
		case !winnerHasOne && (got.AvatarURL != loserURL.AvatarURL || err != nil):
			t.Fatalf("winner without an avatar: url %q, the loser's image: %v", got.AvatarURL, err)
		case winnerHasOne && (got.AvatarURL == loserURL.AvatarURL || err != users.ErrNoAvatar):
			t.Fatalf("winner with an avatar: url %q, the loser's image: %v", got.AvatarURL, err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM avatars WHERE user_id = ?`, older.ID); n != 1 {
			t.Fatalf("winner has %d avatars, want 1", n)
		}
	}
}
