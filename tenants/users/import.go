package users

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"miniauth/tenants"
	"miniauth/tenants/audit"
)

// MaxImportRows bounds one import.
const MaxImportRows = 10000

// ImportRow is one user a tenant already has, before they ever open the
// mini-program (registration policy existing_only).
type ImportRow struct {
	Line       int    `json:"-"`
	Phone      string `json:"phone"`
	Name       string `json:"name"`
	ExternalID string `json:"external_id"`
}

// ImportError says what is wrong with one line.
type ImportError struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// ImportResult counts what an import did, and says it line by line. With
// Errors, nothing was written.
type ImportResult struct {
	Created int               `json:"created"`
	Updated int               `json:"updated"`
	Rows    []ImportRowResult `json:"rows,omitempty"`
	Errors  []ImportError     `json:"errors,omitempty"`
}

// ImportRowResult is what became of one line: "created" or "updated", and
// the user's public id.
type ImportRowResult struct {
	Line   int    `json:"line"`
	Result string `json:"result"`
	User   string `json:"user"`
}

// ParseImportCSV reads CSV with a header naming the columns phone, name and
// external_id (any order; phone required).
func ParseImportCSV(r io.Reader) ([]ImportRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, tenants.Invalid("the CSV needs a header line: phone,name,external_id")
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	if _, ok := col["phone"]; !ok {
		return nil, tenants.Invalid("the CSV header must name a phone column")
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var rows []ImportRow
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, tenants.Invalid(fmt.Sprintf("line %d is not valid CSV", line))
		}
		if len(rows) >= MaxImportRows {
			return nil, tenants.Invalid(fmt.Sprintf("at most %d users per import", MaxImportRows))
		}
		rows = append(rows, ImportRow{Line: line, Phone: get(rec, "phone"), Name: get(rec, "name"), ExternalID: get(rec, "external_id")})
	}
	return rows, nil
}

// ParseImportJSON reads a JSON array of {"phone","name","external_id"}.
func ParseImportJSON(r io.Reader) ([]ImportRow, error) {
	var rows []ImportRow
	if err := json.NewDecoder(r).Decode(&rows); err != nil {
		return nil, tenants.Invalid(`the body must be a JSON array of {"phone","name","external_id"}`)
	}
	if len(rows) > MaxImportRows {
		return nil, tenants.Invalid(fmt.Sprintf("at most %d users per import", MaxImportRows))
	}
	for i := range rows {
		rows[i].Line = i + 1
	}
	return rows, nil
}

// Import creates or updates the tenant's users from rows, in one
// transaction: a user is matched by external_id, else by phone number;
// others are created. Any invalid row, or a phone number that would end up
// on two users, fails the whole import and writes nothing.
func (s *Store) Import(ctx context.Context, tenantID int64, rows []ImportRow, actor audit.Actor) (ImportResult, error) {
	var res ImportResult
	seenPhone, seenExt := map[string]int{}, map[string]int{}
	for i := range rows {
		r := &rows[i]
		p, err := NormalizePhone(r.Phone)
		switch {
		case err != nil:
			res.Errors = append(res.Errors, ImportError{r.Line, "phone: " + err.(*tenants.InvalidError).Msg})
			continue
		case ValidNickname(r.Name) != nil:
			res.Errors = append(res.Errors, ImportError{r.Line, "name: " + ValidNickname(r.Name).(*tenants.InvalidError).Msg})
		case len(r.ExternalID) > 64:
			res.Errors = append(res.Errors, ImportError{r.Line, "external_id must be at most 64 characters"})
		case seenPhone[p] != 0:
			res.Errors = append(res.Errors, ImportError{r.Line, fmt.Sprintf("phone also on line %d", seenPhone[p])})
		case r.ExternalID != "" && seenExt[r.ExternalID] != 0:
			res.Errors = append(res.Errors, ImportError{r.Line, fmt.Sprintf("external_id also on line %d", seenExt[r.ExternalID])})
		}
		r.Phone = p
		seenPhone[p] = r.Line
		if r.ExternalID != "" {
			seenExt[r.ExternalID] = r.Line
		}
	}
	if len(res.Errors) > 0 {
		return res, nil
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("users: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	var updated []int64
	for _, r := range rows {
		var id int64
		err := sql.ErrNoRows
		if r.ExternalID != "" {
			err = tx.GetContext(ctx, &id, `SELECT id FROM users WHERE tenant_id = ? AND external_id = ? FOR UPDATE`, tenantID, r.ExternalID)
		}
		if errors.Is(err, sql.ErrNoRows) {
			err = tx.GetContext(ctx, &id, `SELECT id FROM users WHERE tenant_id = ? AND phone = ? FOR UPDATE`, tenantID, r.Phone)
		}
		event, row := EventUpdated, ImportRowResult{Line: r.Line, Result: "updated"}
		switch {
		case errors.Is(err, sql.ErrNoRows):
			var res2 sql.Result
			row.Result, row.User = "created", newPublicID()
			res2, err = tx.ExecContext(ctx, `INSERT INTO users (tenant_id, public_id, nickname, phone, external_id) VALUES (?, ?, ?, ?, ?)`,
				tenantID, row.User, r.Name, r.Phone, nullable(r.ExternalID))
			if err == nil {
				id, _ = res2.LastInsertId()
			}
			res.Created++
			event = EventCreated
		case err == nil:
			err = tx.GetContext(ctx, &row.User, `SELECT public_id FROM users WHERE id = ?`, id)
		}
		if err == nil && row.Result == "updated" {
			_, err = tx.ExecContext(ctx, `UPDATE users SET phone = ?, nickname = IF(? = '', nickname, ?),
				external_id = COALESCE(?, external_id) WHERE id = ?`, r.Phone, r.Name, r.Name, nullable(r.ExternalID), id)
			res.Updated++
			updated = append(updated, id)
		}
		res.Rows = append(res.Rows, row)
		if isDuplicate(err) {
			return ImportResult{Errors: []ImportError{{r.Line, "phone or external_id already belongs to another user"}}}, nil
		}
		if err != nil {
			return ImportResult{}, fmt.Errorf("users: import: %w", err)
		}
		if s.events != nil { // backends hear of imported users (webhooks)
			u := new(User)
			if err := tx.GetContext(ctx, u, `SELECT `+userColumns+` FROM users WHERE id = ?`, id); err != nil {
				return ImportResult{}, fmt.Errorf("users: import: %w", err)
			}
			if err := s.emit(ctx, tx, event, u, ""); err != nil {
				return ImportResult{}, err
			}
		}
	}
	if err := audit.Record(ctx, tx, audit.Entry{TenantID: tenantID, Actor: actor, Action: "users.imported",
		TargetType: "tenant", TargetID: fmt.Sprint(tenantID),
		Details: map[string]any{"created": res.Created, "updated": res.Updated}}); err != nil {
		return ImportResult{}, err
	}
	if err := tx.Commit(); err != nil {
		return ImportResult{}, fmt.Errorf("users: commit: %w", err)
	}
	s.changed(ctx, tenantID, updated...)
	return res, nil
}
