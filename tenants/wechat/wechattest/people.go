package wechattest

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// person is what WeChat knows of a simulated user beyond ids.
type person struct {
	countryCode, phone string // phone without the country code
	nickname, avatar   string
}

// SetPerson sets the phone number (country code and number without it,
// e.g. "86", "13800138000") and profile WeChat reports for user. Empty
// fields keep their derived defaults.
func (s *Server) SetPerson(user, countryCode, phone, nickname, avatarURL string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.people[user]
	if countryCode != "" {
		p.countryCode = countryCode
	}
	if phone != "" {
		p.phone = phone
	}
	if nickname != "" {
		p.nickname = nickname
	}
	if avatarURL != "" {
		p.avatar = avatarURL
	}
	s.people[user] = p
}

// PhoneNumber returns the country code and number WeChat reports for user:
// by default a mainland mobile number derived from the user's name.
func (s *Server) PhoneNumber(user string) (countryCode, number string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.personLocked(user)
	return p.countryCode, p.phone
}

func (s *Server) personLocked(user string) person {
	p := s.people[user]
	sum := sha256.Sum256([]byte("phone " + user))
	if p.countryCode == "" {
		p.countryCode = "86"
	}
	if p.phone == "" {
		p.phone = fmt.Sprintf("139%08d", binary.BigEndian.Uint64(sum[:8])%100000000)
	}
	if p.nickname == "" {
		p.nickname = "微信用户 " + user
	}
	if p.avatar == "" {
		p.avatar = "https://thirdwx.qlogo.cn/mmopen/vi_32/" + derive("avatar", "", user)[1:] + "/132"
	}
	return p
}
