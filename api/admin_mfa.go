package api

import (
	"encoding/base64"

	"github.com/gofiber/fiber/v2"
)

// What every signed-in admin does to its own account: TOTP MFA (set up,
// new recovery codes, turn off) and its password (docs/console.md).

type accountResponse struct {
	Admin                adminJSON `json:"admin"`
	MFA                  mfaJSON   `json:"mfa"`
	MFAEnrolmentRequired bool      `json:"mfa_enrolment_required"`
}

type mfaJSON struct {
	Enabled           bool `json:"enabled"`
	RecoveryCodesLeft int  `json:"recovery_codes_left"`
}

func (s *Server) adminAccount(c *fiber.Ctx) error {
	ctx, a := c.UserContext(), adminOf(c)
	on, err := s.deps.MFA.Enabled(ctx, a.ID)
	if err != nil {
		return err
	}
	left := 0
	if on {
		if left, err = s.deps.MFA.RecoveryCodesLeft(ctx, a.ID); err != nil {
			return err
		}
	}
	must, err := s.deps.MFA.MustEnrol(ctx, a)
	if err != nil {
		return err
	}
	return c.JSON(accountResponse{Admin: s.adminJSONOf(c, a), MFA: mfaJSON{Enabled: on, RecoveryCodesLeft: left},
		MFAEnrolmentRequired: must})
}

// enrolmentResponse is shown once: the secret exists nowhere else but
// sealed in MySQL. The QR code is made server-side by pquerna/otp (its
// boombuler/barcode dependency), so the console loads no QR library.
type enrolmentResponse struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
	QRCode     string `json:"qr_code"` // data:image/png;base64,…
}

func (s *Server) adminBeginEnrol(c *fiber.Ctx) error {
	e, err := s.deps.MFA.BeginEnrol(c.UserContext(), actorOf(c))
	if err != nil {
		return err
	}
	return c.JSON(enrolmentResponse{Secret: e.Secret, OTPAuthURL: e.URL,
		QRCode: "data:image/png;base64," + base64.StdEncoding.EncodeToString(e.QRCodePNG)})
}

type mfaCodeRequest struct {
	Code     string `json:"code"`
	Password string `json:"password"` // turning MFA off: the password instead of a code
}

func (r *mfaCodeRequest) validate(passwordToo bool) error {
	switch {
	case len(r.Code) > 64 || len(r.Password) > 1024:
		return badRequest("code or password is too long")
	case r.Password != "" && !passwordToo:
		return badRequest("a code is required here, not the password")
	case r.Code != "" && r.Password != "":
		return badRequest("give a code or the password, not both")
	case r.Code == "" && r.Password == "":
		if passwordToo {
			return badRequest("a current code, a recovery code or the password is required")
		}
		return badRequest("a current code from the authenticator app is required")
	}
	return nil
}

type recoveryCodesResponse struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

func (s *Server) adminConfirmEnrol(c *fiber.Ctx) error {
	var req mfaCodeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.validate(false); err != nil {
		return err
	}
	codes, err := s.deps.MFA.ConfirmEnrol(c.UserContext(), actorOf(c), req.Code)
	if err != nil {
		return err
	}
	return c.JSON(recoveryCodesResponse{RecoveryCodes: codes})
}

func (s *Server) adminRegenerateRecoveryCodes(c *fiber.Ctx) error {
	var req mfaCodeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.validate(false); err != nil {
		return err
	}
	codes, err := s.deps.MFA.RegenerateRecoveryCodes(c.UserContext(), actorOf(c), req.Code)
	if err != nil {
		return err
	}
	return c.JSON(recoveryCodesResponse{RecoveryCodes: codes})
}

// adminDisableMFA turns the admin's own MFA off, with a current code or
// the password; a wrong one counts in the sign-in lockout.
func (s *Server) adminDisableMFA(c *fiber.Ctx) error {
	var req mfaCodeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.validate(true); err != nil {
		return err
	}
	ctx, by := c.UserContext(), actorOf(c)
	var err error
	if req.Password != "" {
		err = s.deps.Accounts.DisableMFAWithPassword(ctx, by, req.Password)
	} else {
		err = s.deps.MFA.DisableMFA(ctx, by, by.Admin.ID, req.Code)
	}
	if err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type changePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func (r *changePasswordRequest) validate() error {
	switch {
	case r.CurrentPassword == "" || r.NewPassword == "":
		return badRequest("current_password and new_password are required")
	case len(r.CurrentPassword) > 1024 || len(r.NewPassword) > 1024:
		return badRequest("a password is too long")
	}
	return nil
}

// adminChangePassword changes the admin's own password; its other
// console sessions end, this one stays.
func (s *Server) adminChangePassword(c *fiber.Ctx) error {
	var req changePasswordRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	if err := s.deps.Accounts.ChangePassword(c.UserContext(), actorOf(c), req.CurrentPassword, req.NewPassword); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
