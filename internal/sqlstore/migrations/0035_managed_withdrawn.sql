-- Booking resources a service manages, resources withdrawn for good, and
-- performances their organiser cancelled (issue 12).
--
-- managed_by names the service whose own rules sit on a resource
-- ('festival': a ticket category, 'clinic': a doctor's calendar or a
-- wellness package); the generic booking API neither lists nor books
-- those, so a place is never taken without its ticket or consultation.
-- withdrawn_at > 0: the resource takes no more bookings, and every
-- booking on it is cancelled and refunded in full (the booking sweeper
-- finishes what a stopped process left). cancelled_at > 0: the
-- performance was cancelled by its organiser, set in the same
-- transaction that withdraws its categories and cancels its tickets.

ALTER TABLE booking_resources ADD COLUMN managed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE booking_resources ADD COLUMN withdrawn_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE festival_performances ADD COLUMN cancelled_at BIGINT NOT NULL DEFAULT 0;

UPDATE booking_resources SET managed_by = 'festival' WHERE id IN (SELECT resource_id FROM festival_categories);
UPDATE booking_resources SET managed_by = 'clinic' WHERE id IN (SELECT id FROM clinic_doctors);
UPDATE booking_resources SET managed_by = 'clinic' WHERE id IN (SELECT id FROM clinic_packages);

CREATE INDEX booking_resources_withdrawn ON booking_resources (withdrawn_at) WHERE withdrawn_at > 0;
