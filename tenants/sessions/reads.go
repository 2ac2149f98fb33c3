package sessions

import (
	"context"
	"sync"

	"github.com/redis/go-redis/v9"
)

// reads sends the record GETs of concurrent requests to Redis together.
//
// Every authenticated request reads its session's record: one GET, and on
// a busy node the write and the read of that GET are most of the request's
// system calls, on the node and in Redis. Up to lanes GETs go out at once,
// each on its own, as they would without reads. A GET that finds every
// lane busy waits in a queue, and the next lane to finish sends the whole
// queue as one pipeline: one write and one read for all of it. So an idle
// node sends each GET at once, and a busy one sends many in one round trip,
// without a timer or a wait of any length of its own.
//
// go-redis's own autopipeliner batches too, but holds a GET that arrives
// while a batch is out for up to a few silence gaps (200 µs at least) in
// the hope of more; measured on /me at half the maximum rate, that moved
// the median from 0.7 ms to 2.7 ms (docs/performance.md).
//
// What a GET returns is what it would return on its own: each is its own
// command in the pipeline, and a GET sent after a write has been answered
// sees that write, as Redis runs commands in the order they arrive.
type reads struct {
	rdb   redis.UniversalClient
	lanes int // GETs or batches on the wire at once

	mu      sync.Mutex
	running int     // lanes in use
	queue   []*read // waiting for a lane
}

const (
	// readLanes is how many GETs or batches a store keeps on the wire. On
	// two cores, 2 lanes batched the most but doubled /me's median at half
	// rate, 4 kept it at the floor's, and 8 batched less at full rate
	// (docs/performance.md).
	readLanes = 4
	// maxBatch bounds one pipeline; a longer queue is sent in several.
	maxBatch = 256
)

type read struct {
	key  string
	val  string
	err  error
	done chan struct{}
}

func newReads(rdb redis.UniversalClient, lanes int) *reads {
	return &reads{rdb: rdb, lanes: max(lanes, 1)}
}

// get is rdb.Get(ctx, key).Result(). A GET that waits in the queue gives
// up when ctx ends; its batch is sent anyway, and its answer dropped.
func (b *reads) get(ctx context.Context, key string) (string, error) {
	b.mu.Lock()
	if b.running < b.lanes {
		b.running++
		b.mu.Unlock()
		v, err := b.rdb.Get(ctx, key).Result()
		b.release()
		return v, err
	}
	r := &read{key: key, done: make(chan struct{})}
	b.queue = append(b.queue, r)
	b.mu.Unlock()
	select {
	case <-r.done:
		return r.val, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// release gives a lane back after a GET of its own, unless GETs queued
// meanwhile: then the lane goes on serving them, on a goroutine of its
// own, so that the request that held it need not wait for strangers.
func (b *reads) release() {
	b.mu.Lock()
	if len(b.queue) == 0 {
		b.running--
		b.mu.Unlock()
		return
	}
	b.mu.Unlock()
	go b.serve()
}

// serve sends the queue, a batch at a time, until it is empty, and then
// gives its lane back.
func (b *reads) serve() {
	for {
		b.mu.Lock()
		if len(b.queue) == 0 {
			b.running--
			b.mu.Unlock()
			return
		}
		n := min(len(b.queue), maxBatch)
		batch := b.queue[:n:n]
		if n == len(b.queue) {
			b.queue = nil
		} else {
			b.queue = b.queue[n:]
		}
		b.mu.Unlock()
		b.send(batch)
	}
}

// send runs one batch. Its context is not any one request's: a request
// that gives up must not fail the others. The client's read and write
// timeouts bound it.
func (b *reads) send(batch []*read) {
	ctx := context.Background()
	if len(batch) == 1 {
		r := batch[0]
		r.val, r.err = b.rdb.Get(ctx, r.key).Result()
		close(r.done)
		return
	}
	pipe := b.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(batch))
	for i, r := range batch {
		cmds[i] = pipe.Get(ctx, r.key)
	}
	_, _ = pipe.Exec(ctx) // each command holds its own answer or error
	for i, r := range batch {
		r.val, r.err = cmds[i].Result()
		close(r.done)
	}
}
