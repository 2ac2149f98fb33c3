package smstest

import (
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Message is one SMS the simulator delivered.
type Message struct {
	Provider   string    `json:"provider"` // "tencent" or "aliyun"
	Phone      string    `json:"phone"`    // E.164
	SignName   string    `json:"sign_name"`
	TemplateID string    `json:"template_id"`
	Params     []string  `json:"params"` // Tencent's in order; Alibaba's values by variable name
	Text       string    `json:"text"`   // as the phone shows it: 【sign】 and the filled-in template
	Code       string    `json:"code"`   // the verification code parsed out of the text, "" if none
	SentAt     time.Time `json:"sent_at"`
}

// inboxSize is how many messages a phone keeps.
const inboxSize = 100

var codeInText = regexp.MustCompile(`\d{4,8}`)

// deliverLocked puts m in its phone's inbox; s.mu is held.
func (s *Server) deliverLocked(m Message) {
	body := m.Text
	if i := strings.Index(body, "】"); i >= 0 {
		body = body[i+len("】"):]
	}
	m.Code = codeInText.FindString(body)
	box := append(s.inbox[m.Phone], m)
	if len(box) > inboxSize {
		box = box[len(box)-inboxSize:]
	}
	s.inbox[m.Phone] = box
}

// Inbox returns the messages delivered to phone (E.164 or a bare mainland
// number), newest first.
func (s *Server) Inbox(phone string) []Message {
	phone = inboxPhone(phone)
	s.mu.Lock()
	defer s.mu.Unlock()
	box := s.inbox[phone]
	out := make([]Message, len(box))
	for i, m := range box {
		out[len(box)-1-i] = m
	}
	return out
}

// LastCode returns the code of the newest message to phone, or "".
func (s *Server) LastCode(phone string) string {
	if box := s.Inbox(phone); len(box) > 0 {
		return box[0].Code
	}
	return ""
}

// inboxPhone reads the phone of GET /mock/sms?phone=: an unencoded "+"
// arrives as a space.
func inboxPhone(p string) string {
	p = strings.TrimSpace(p)
	if len(p) == 11 && p[0] == '1' {
		return "+86" + p
	}
	if p != "" && p[0] != '+' {
		return "+" + p
	}
	return p
}

// getInbox answers GET /mock/sms?phone=%2B86… with {"messages": […]}.
func (s *Server) getInbox(w http.ResponseWriter, r *http.Request) {
	phone := r.URL.Query().Get("phone")
	if phone == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "phone is required (E.164, the + encoded as %2B)"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": s.Inbox(phone)})
}
