package wechattest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Errcodes of msg_sec_check beyond the common ones.
const (
	codeBadScene         = 40129
	codeOpenIDOtherApp   = 43104
	codePostOnly         = 43302
	codeVisitExpired     = 61010
	codeRiskyContentV1   = 87014
	secCheckVisitWindow  = 2 * time.Hour // v2 needs a visit of the user this recent
	secCheckMaxContent   = 2500          // characters
	labelNormal          = 100
	alwaysRiskyV1Example = "特3456书yuuo莞6543李zxcz蒜7782法fgnv级" // WeChat's documented test string
)

// contentRule is what the check says of text containing a word.
type contentRule struct {
	suggest string // "risky" or "review"
	label   int
}

// SetContentRule makes msg_sec_check answer suggest ("risky" or "review")
// with label (e.g. 20006) for any text containing word, as a custom keyword
// of the mini-program's console would; suggest "pass" removes the rule.
// Rules outlive Reset, like apps.
func (s *Server) SetContentRule(word, suggest string, label int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if suggest == "pass" {
		delete(s.contentRules, word)
		return
	}
	s.contentRules[word] = contentRule{suggest: suggest, label: label}
}

type secCheckRequest struct {
	Version int    `json:"version"`
	OpenID  string `json:"openid"`
	Scene   int    `json:"scene"`
	Content string `json:"content"`
}

// msgSecCheck answers POST wxa/msg_sec_check (version 2; without a
// version, the legacy v1 answer). The access token is taken from the query
// only; the user must have logged in to the token's mini-program within
// the last 2 hours (61010 otherwise). Verdicts come from SetContentRule.
func (s *Server) msgSecCheck(r *http.Request) outcome {
	if r.Method != http.MethodPost {
		return fail(codePostOnly)
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	s.mu.Lock()
	defer s.mu.Unlock()
	appid, code := s.checkTokenLocked(r.URL.Query().Get("access_token"))
	if code == codeNoToken && tokenInBody(raw) {
		return fail(codeDataFormat) // observed: the token belongs in the query
	}
	if code != 0 {
		return fail(code)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return fail(codeEmptyPost)
	}
	var req secCheckRequest
	if err := json.Unmarshal(raw, &req); err != nil || req.Content == "" || utf8.RuneCountInString(req.Content) > secCheckMaxContent {
		return fail(codeDataFormat)
	}
	verdict := s.verdictLocked(req.Content)
	if req.Version != 2 {
		if verdict.suggest == "risky" {
			return fail(codeRiskyContentV1)
		}
		return succeed(map[string]any{"errcode": 0, "errmsg": "ok"})
	}
	who, known := s.openids[req.OpenID]
	switch {
	case req.OpenID == "":
		return fail(codeNoOpenID)
	case !known:
		return fail(codeBadOpenID)
	case who.appid != appid:
		return fail(codeOpenIDOtherApp)
	case req.Scene < 1 || req.Scene > 4:
		return fail(codeBadScene)
	case s.now().Sub(s.visits[who]) >= secCheckVisitWindow:
		return fail(codeVisitExpired)
	}
	model := map[string]any{"strategy": "content_model", "errcode": 0, "suggest": "pass", "label": labelNormal, "prob": 90}
	keyword := map[string]any{"strategy": "keyword", "errcode": 0}
	if verdict.word != "" {
		keyword["suggest"], keyword["label"], keyword["keyword"] = verdict.suggest, verdict.label, verdict.word
	}
	return succeed(map[string]any{"errcode": 0, "errmsg": "ok",
		"result":   map[string]any{"suggest": verdict.suggest, "label": verdict.label},
		"detail":   []any{model, keyword},
		"trace_id": newRID(),
	})
}

func tokenInBody(raw []byte) bool {
	var b struct {
		Token *string `json:"access_token"`
	}
	return json.Unmarshal(raw, &b) == nil && b.Token != nil
}

type verdict struct {
	suggest string
	label   int
	word    string // the rule's word that matched, "" for none
}

// verdictLocked is the gravest rule matching content: risky over review
// over pass.
func (s *Server) verdictLocked(content string) verdict {
	v := verdict{suggest: "pass", label: labelNormal}
	if strings.Contains(content, alwaysRiskyV1Example) {
		v = verdict{suggest: "risky", label: 20001}
	}
	for word, rule := range s.contentRules {
		if !strings.Contains(content, word) || v.suggest == "risky" || rule.suggest == v.suggest {
			continue
		}
		v = verdict{suggest: rule.suggest, label: rule.label, word: word}
	}
	return v
}

// mockContentRule sets a rule: POST /mock/msg_sec_check
// {"word", "suggest": "risky"|"review"|"pass", "label"?}.
func (s *Server) mockContentRule(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Word    string `json:"word"`
		Suggest string `json:"suggest"`
		Label   int    `json:"label"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.Word == "" ||
		(req.Suggest != "risky" && req.Suggest != "review" && req.Suggest != "pass") {
		writeJSON(w, http.StatusBadRequest, mockError{codeDataFormat, `want {"word", "suggest": "risky"|"review"|"pass", "label"?}`})
		return
	}
	if req.Label == 0 {
		req.Label = 21000 // "other"
	}
	s.SetContentRule(req.Word, req.Suggest, req.Label)
	w.WriteHeader(http.StatusNoContent)
}
