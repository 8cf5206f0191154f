package booking

import "sync"

// resourceCache keeps the resources bookings are made on in memory, so
// that a booking and its confirmation do not each read their resource
// first: on PostgreSQL those two reads were two of a booking's three round
// trips outside its batch, and a large share of both processes' CPU
// (docs/PERFORMANCE.md, session 7).
//
// What may be stale, and why that is safe:
//   - A resource's settings (capacity, hours, price, account, who may see
//     it) change only through UpdateResource, which moves UpdatedAt
//     strictly forward. A take names the UpdatedAt it was decided on
//     (Take.ResourceAt) and the store refuses it if the row moved since,
//     in the same transaction that would take the place; Book then reads
//     the resource afresh and decides again. So no booking is ever made
//     on settings that were no longer current, in this process or another.
//   - A withdrawal is checked by the store's take itself.
//   - Who manages a resource (ManagedBy) and its owner never change.
//
// The cache is bounded; when full, an arbitrary half is forgotten.
type resourceCache struct {
	mu sync.Mutex
	m  map[string]Resource
}

const resourceCacheMax = 1 << 14 // about 16 MB of resources at most

func newResourceCache() *resourceCache { return &resourceCache{m: map[string]Resource{}} }

// get returns the resource as last read; its slices are shared and must
// not be changed.
func (c *resourceCache) get(id string) (Resource, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.m[id]
	return r, ok
}

func (c *resourceCache) put(r Resource) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[r.ID]; ok && old.UpdatedAt.After(r.UpdatedAt) {
		return // a slower reader must not put back an older version
	}
	if len(c.m) >= resourceCacheMax {
		n := 0
		for id := range c.m {
			delete(c.m, id)
			if n++; n >= resourceCacheMax/2 {
				break
			}
		}
	}
	c.m[r.ID] = r
}

func (c *resourceCache) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, id)
}
