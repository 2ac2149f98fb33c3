package wechattest

import "time"

// WeChat's days end at midnight Beijing time.
var beijing = time.FixedZone("CST", 8*3600)

// dayCount counts calls of one app in one day.
type dayCount struct {
	day   string
	calls int
}

// countLocked adds a call of appid to counts for now's day and reports
// whether it is within max (negative: no limit). A refused call is not
// counted.
func countLocked(counts map[string]dayCount, appid string, max int, now time.Time) bool {
	if max < 0 {
		return true
	}
	day := now.In(beijing).Format(time.DateOnly)
	c := counts[appid]
	if c.day != day {
		c = dayCount{day: day}
	}
	if c.calls >= max {
		return false
	}
	c.calls++
	counts[appid] = c
	return true
}
