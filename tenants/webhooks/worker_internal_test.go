package webhooks

import (
	"fmt"
	"testing"
)

// byEndpoint queues each endpoint's deliveries in the order they were
// written, whatever order the claim read them in.
func TestByEndpoint(t *testing.T) {
	jobs := []job{{ID: 7, EndpointID: 2}, {ID: 3, EndpointID: 1}, {ID: 5, EndpointID: 2}, {ID: 4, EndpointID: 1}, {ID: 9, EndpointID: 3}}
	var got []string
	for _, q := range byEndpoint(jobs) {
		var ids []int64
		for _, j := range q {
			if j.EndpointID != q[0].EndpointID {
				t.Fatalf("queue of endpoint %d holds a job of endpoint %d", q[0].EndpointID, j.EndpointID)
			}
			ids = append(ids, j.ID)
		}
		got = append(got, fmt.Sprint(q[0].EndpointID, ids))
	}
	if fmt.Sprint(got) != "[1 [3 4] 2 [5 7] 3 [9]]" {
		t.Fatalf("queues %v", got)
	}
}
