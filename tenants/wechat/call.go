package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// call is one API request, rebuilt for each attempt.
type call struct {
	api    string // name used in errors, e.g. "jscode2session"
	appid  string // the app the call is for, carried on its errors; "" for calls by access_token
	method string
	url    string // may hold the AppSecret: never put it in an error
	body   []byte // JSON, or nil
	// once: no retry after errcode -1, for calls that spend a single-use
	// code WeChat may already have consumed (a retry would only get 40163).
	once bool
}

// envelope is the error part shared by all replies; an absent errcode is 0.
type envelope struct {
	Code int    `json:"errcode"`
	Msg  string `json:"errmsg"`
}

// do runs cl within the total timeout, retrying once after errcode -1, and
// decodes a successful body into out.
func (c *Client) do(ctx context.Context, cl call, out any) error {
	return ForApp(cl.appid, c.try(ctx, cl, out))
}

func (c *Client) try(ctx context.Context, cl call, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.totalTimeout)
	defer cancel()
	for attempt := 1; ; attempt++ {
		start := time.Now()
		body, err := c.attempt(ctx, cl)
		if err == nil {
			err = decode(cl.api, body, out)
		}
		c.record(cl.api, err, time.Since(start))
		if body == nil {
			return err
		}
		if attempt == 1 && !cl.once && IsCode(err, CodeBusy) {
			if err := pause(ctx, cl.api, c.retryDelay); err != nil {
				return err
			}
			continue
		}
		return err
	}
}

// record tells the observer how an attempt went.
func (c *Client) record(api string, err error, elapsed time.Duration) {
	if c.observe == nil {
		return
	}
	outcome := "ok"
	var apiErr *APIError
	switch {
	case errors.As(err, &apiErr):
		outcome = strconv.Itoa(apiErr.Code)
	case err != nil:
		outcome = "unavailable"
	}
	c.observe(api, outcome, elapsed)
}

// attempt sends cl once under its own timeout and returns the body of a 200.
func (c *Client) attempt(ctx context.Context, cl call) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.attemptTimeout)
	defer cancel()
	req, err := cl.request(ctx)
	if err != nil {
		return nil, unavailable(cl.api, "invalid request")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, transportError(cl.api, ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// Drain a little so that the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
		return nil, unavailable(cl.api, fmt.Sprintf("http status %d", resp.StatusCode))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, transportError(cl.api, ctx, err)
	}
	if len(body) > maxBody {
		return nil, unavailable(cl.api, "response too large")
	}
	return body, nil
}

func (cl call) request(ctx context.Context) (*http.Request, error) {
	var body io.Reader
	if cl.body != nil {
		body = bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, cl.url, body)
	if err != nil {
		return nil, err
	}
	if cl.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// decode parses body as JSON whatever its Content-Type: WeChat serves sns/*
// replies as text/plain. Only a success is decoded into out, so that nothing
// of a failed first attempt lingers in it.
func decode(api string, body []byte, out any) error {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return unavailable(api, "malformed response")
	}
	if env.Code != 0 {
		return &APIError{API: api, Code: env.Code, Msg: env.Msg}
	}
	if err := json.Unmarshal(body, out); err != nil {
		return unavailable(api, "malformed response")
	}
	return nil
}

func pause(ctx context.Context, api string, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: %s: %w", ErrUnavailable, api, ctx.Err())
	}
}
