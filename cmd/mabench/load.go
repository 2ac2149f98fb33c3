package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// result is one timed run.
type result struct {
	Name        string
	Rate        float64 // offered rate (0 = as fast as the workers go)
	Requests    uint64
	Throughput  float64 // successful requests per second
	P50, P99    time.Duration
	P999        time.Duration
	Errors      int // responses that are not 2xx, and transport errors
	StatusCodes string
	CPU         [5]float64 // µs of CPU per request: load generator, server, simulator, Redis, MariaDB
}

// attack drives targets with c workers for d: at the maximum rate when
// rate is 0, else at a constant rate (an open loop, so latency includes
// queueing).
func attack(name string, tr vegeta.Targeter, c int, rate float64, d time.Duration) result {
	// The run's own transport, so that its connections are closed when it
	// ends: idle ones left open would hold miniauth's per-connection buffers
	// (until its idle timeout) and the next runs' memory figures with them.
	ht := &http.Transport{DialContext: (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext}
	defer ht.CloseIdleConnections()
	opts := []func(*vegeta.Attacker){
		vegeta.Client(&http.Client{Transport: ht}), // first: the options below tune ht
		vegeta.Workers(uint64(c)), vegeta.Connections(c), vegeta.MaxConnections(c),
		vegeta.KeepAlive(true), vegeta.Timeout(10 * time.Second), vegeta.MaxBody(4096),
	}
	if rate == 0 {
		opts = append(opts, vegeta.MaxWorkers(uint64(c)))
	} else {
		opts = append(opts, vegeta.MaxWorkers(uint64(4*c)))
	}
	a := vegeta.NewAttacker(opts...)
	var m vegeta.Metrics
	for res := range a.Attack(tr, vegeta.Rate{Freq: int(rate), Per: time.Second}, d, name) {
		if res.Error == vegeta.ErrNoTargets.Error() {
			continue // the codes ran out: not a request
		}
		m.Add(res)
	}
	m.Close()
	r := result{Name: name, Rate: rate, Requests: m.Requests, P50: m.Latencies.P50, P99: m.Latencies.P99,
		P999: m.Latencies.Quantile(0.999)}
	ok := 0
	var codes []string
	for code, n := range m.StatusCodes {
		if strings.HasPrefix(code, "2") {
			ok += n
		}
		codes = append(codes, fmt.Sprintf("%s×%d", code, n))
	}
	sort.Strings(codes)
	r.StatusCodes = strings.Join(codes, " ")
	r.Errors = int(m.Requests) - ok
	if secs := m.Duration.Seconds() + m.Wait.Seconds(); secs > 0 {
		r.Throughput = float64(ok) / secs
	}
	return r
}

// meTargets hands out GET /me requests over tokens, round robin.
func meTargets(base string, toks []tokenOf) vegeta.Targeter {
	var i atomic.Uint64
	return func(t *vegeta.Target) error {
		k := toks[(i.Add(1)-1)%uint64(len(toks))]
		t.Method, t.URL = http.MethodGet, base+"/t/"+k.slug+"/me"
		t.Header = http.Header{"Authorization": {"Bearer " + k.token}}
		t.Body = nil
		return nil
	}
}

// introspectTargets hands out POST /introspect requests over tokens.
func introspectTargets(base string, toks []tokenOf, apiKeys map[string]string) vegeta.Targeter {
	var i atomic.Uint64
	return func(t *vegeta.Target) error {
		k := toks[(i.Add(1)-1)%uint64(len(toks))]
		t.Method, t.URL = http.MethodPost, base+"/t/"+k.slug+"/introspect"
		t.Header = http.Header{"Authorization": {"Bearer " + apiKeys[k.slug]}, "Content-Type": {"application/json"}}
		t.Body = []byte(`{"token":"` + k.token + `"}`)
		return nil
	}
}

// loginTargets hands out each pre-issued code once, then ends the run.
func loginTargets(base string, codes []codeOf) vegeta.Targeter {
	var i atomic.Uint64
	return func(t *vegeta.Target) error {
		n := i.Add(1) - 1
		if n >= uint64(len(codes)) {
			return vegeta.ErrNoTargets
		}
		k := codes[n]
		t.Method, t.URL = http.MethodPost, base+"/t/"+k.slug+"/login"
		t.Header = http.Header{"Content-Type": {"application/json"}}
		t.Body = []byte(`{"code":"` + k.code + `","appid":"` + k.appid + `"}`)
		return nil
	}
}

type tokenOf struct{ slug, token string }

type codeOf struct{ slug, appid, code string }

// loginUser is whom a code is issued for.
type loginUser struct{ slug, appid, user string }

// issueCodes asks the simulator (POST /mock/wx.login) for one fresh code
// per user, before any timed run, so that the phone's side of wx.login is
// not measured.
func issueCodes(ctx context.Context, wx string, us []loginUser) ([]codeOf, error) {
	out := make([]codeOf, len(us))
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := int(next.Add(1) - 1)
				if n >= len(us) || ctx.Err() != nil {
					return
				}
				u := us[n]
				body, _ := json.Marshal(map[string]string{"appid": u.appid, "user": u.user})
				resp, err := client.Post(wx+"/mock/wx.login", "application/json", bytes.NewReader(body))
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				var got struct {
					Code string `json:"code"`
				}
				err = json.NewDecoder(resp.Body).Decode(&got)
				resp.Body.Close()
				if err != nil || got.Code == "" {
					once.Do(func() { firstErr = fmt.Errorf("wx.login for %s: status %d", u.appid, resp.StatusCode) })
					return
				}
				out[n] = codeOf{slug: u.slug, appid: u.appid, code: got.Code}
			}
		}()
	}
	wg.Wait()
	return out, firstErr
}
