package admins_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"miniauth/tenants"
	"miniauth/tenants/admins"
	"miniauth/tenants/tenantstest"
)

func TestNormalizeEmail(t *testing.T) {
	valid := []struct{ name, in, want string }{
		{"plain", "ops@acme.example", "ops@acme.example"},
		{"capitals and spaces", " Ops@ACME.Example\t", "ops@acme.example"},
		{"zero-width space", "ops\u200b@acme.example", "ops@acme.example"},
		{"byte order mark", "\ufeffops@acme.example", "ops@acme.example"},
		{"soft hyphen", "o\u00adps@acme.example", "ops@acme.example"},
		{"right-to-left override", "ops@acme.example\u202e", "ops@acme.example"},
		{"word joiner in the domain", "ops@ac\u2060me.example", "ops@acme.example"},
		{"fullwidth letters", "ｏｐｓ@ａｃｍｅ.example", "ops@acme.example"},
		{"Kelvin sign", "\u212aey@acme.example", "key@acme.example"},
		{"black-letter capital", "\u210cops@acme.example", "hops@acme.example"},
		{"no-break space around", "\u00a0ops@acme.example\u00a0", "ops@acme.example"},
		{"accent composed", "admína@acme.example", "admína@acme.example"},
		{"accent decomposed", "admi\u0301na@acme.example", "admína@acme.example"},
		{"Unicode domain", "用户@例子.广告", "用户@例子.广告"},
		{"plus and dots", "first.last+tag@mail.acme.example", "first.last+tag@mail.acme.example"},
		{"254 bytes", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 61), ""},
	}
	valid[len(valid)-1].want = valid[len(valid)-1].in
	for _, v := range valid {
		t.Run(v.name, func(t *testing.T) {
			got, err := admins.NormalizeEmail(v.in)
			if err != nil || got != v.want {
				t.Fatalf("NormalizeEmail(%q) = %q, %v; want %q", v.in, got, err, v.want)
			}
			if again, err := admins.NormalizeEmail(got); err != nil || again != got {
				t.Fatalf("not idempotent: %q → %q, %v", got, again, err)
			}
		})
	}
	invalid := []struct{ name, in string }{
		{"empty", ""},
		{"only format characters", "\u200b\u200c"},
		{"no @", "ops.acme.example"},
		{"a password typed as the email", "correct horse battery"},
		{"nothing before @", "@acme.example"},
		{"nothing after @", "ops@"},
		{"two @", "ops@acme@acme.example"},
		{"display name", "Ops <ops@acme.example>"},
		{"comment", "ops@acme.example (ops)"},
		{"quoted local part", `"ops"@acme.example`},
		{"space inside", "ops @acme.example"},
		{"control character", "ops\x00@acme.example"},
		{"empty label", "ops@acme..example"},
		{"leading dot in domain", "ops@.acme.example"},
		{"hyphen at a label's edge", "ops@-acme.example"},
		{"address literal", "ops@[192.0.2.1]"},
		{"underscore in domain", "ops@ac_me.example"},
		{"local part over 64", strings.Repeat("a", 65) + "@acme.example"},
		{"255 bytes", strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 62)},
		{"label over 63", "ops@" + strings.Repeat("b", 64) + ".example"},
	}
	for _, v := range invalid {
		t.Run(v.name, func(t *testing.T) {
			got, err := admins.NormalizeEmail(v.in)
			if !errors.Is(err, tenants.ErrInvalid) || got != "" {
				t.Fatalf("NormalizeEmail(%q) = %q, %v; want an invalid-input error", v.in, got, err)
			}
		})
	}
}

// TestEmailSpellings: every spelling that normalises to an admin's email
// reaches that admin, and nothing else does — the column compares bytes,
// so an accent is another address, not the same one (migration 0007).
func TestEmailSpellings(t *testing.T) {
	ctx := context.Background()
	db, _ := tenantstest.DB(t)
	store := admins.NewStore(db)
	a, err := store.Create(ctx, admins.New{Email: " Ops@Acme.Example", Password: "correct horse battery", Role: admins.RolePlatform})
	if err != nil {
		t.Fatal(err)
	}
	if a.Email != "ops@acme.example" {
		t.Fatalf("stored %q, want the normalised email", a.Email)
	}
	for _, sc := range []struct {
		spelling string
		reaches  bool
	}{
		{"ops@acme.example", true},
		{"OPS@ACME.EXAMPLE", true},
		{"ops\u200b@acme.example", true},
		{"o\u00adps@acme.example\u200d", true},
		{"ｏｐｓ@acme.example", true},
		{"öps@acme.example", false},
		{"ops@acmé.example", false},
		{"opś@acme.example", false},
		{"ops@acme.example extra", false},
	} {
		got, err := store.ByEmail(ctx, sc.spelling)
		switch {
		case sc.reaches && (err != nil || got.ID != a.ID):
			t.Errorf("%q: %v; want the admin", sc.spelling, err)
		case !sc.reaches && !errors.Is(err, admins.ErrNotFound):
			t.Errorf("%q reached an admin (err %v); want ErrNotFound", sc.spelling, err)
		}
		if _, err := store.Authenticate(ctx, sc.spelling, "correct horse battery"); (err == nil) != sc.reaches {
			t.Errorf("%q: Authenticate with the right password: %v", sc.spelling, err)
		}
	}
	// Another spelling of a registered email is taken; an accent is another admin.
	if _, err := store.Create(ctx, admins.New{Email: "OPS\u200b@acme.example", Password: "correct horse battery", Role: admins.RolePlatform}); !errors.Is(err, admins.ErrEmailTaken) {
		t.Fatalf("creating a zero-width spelling: %v, want ErrEmailTaken", err)
	}
	if b, err := store.Create(ctx, admins.New{Email: "öps@acme.example", Password: "correct horse battery", Role: admins.RolePlatform}); err != nil || b.ID == a.ID {
		t.Fatalf("creating the accented address: %v, %v", b, err)
	}
}
