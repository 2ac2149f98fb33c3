package api

import (
	"net"
	"sync"
)

// listener remembers the connections that have not sent a byte yet, so that
// Shutdown can close them. fasthttp counts a new connection as busy from the
// moment it is accepted and waits for its first request until ReadTimeout:
// one idle connection opened ahead of time (a load balancer's or a
// browser's preconnect, a TCP health probe) would otherwise hold Shutdown
// past its deadline. A connection that never sent a byte has no request in
// flight, so closing it loses nothing.
type listener struct {
	net.Listener

	mu     sync.Mutex
	closed bool
	fresh  map[*conn]struct{}
}

func newListener(ln net.Listener) *listener {
	return &listener{Listener: ln, fresh: make(map[*conn]struct{})}
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &conn{Conn: c, l: l}
	l.mu.Lock()
	l.fresh[tc] = struct{}{}
	l.mu.Unlock()
	return tc, nil
}

// Close closes the listener once; fasthttp's Shutdown closing it again is
// not an error.
func (l *listener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	return l.Listener.Close()
}

// closeFresh stops accepting and closes every connection that has not sent
// a byte.
func (l *listener) closeFresh() {
	_ = l.Close()
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.fresh {
		_ = c.Conn.Close()
		delete(l.fresh, c)
	}
}

func (l *listener) used(c *conn) {
	l.mu.Lock()
	delete(l.fresh, c)
	l.mu.Unlock()
}

type conn struct {
	net.Conn
	l    *listener
	once sync.Once
}

func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.once.Do(func() { c.l.used(c) })
	}
	return n, err
}

func (c *conn) Close() error {
	c.once.Do(func() { c.l.used(c) })
	return c.Conn.Close()
}
