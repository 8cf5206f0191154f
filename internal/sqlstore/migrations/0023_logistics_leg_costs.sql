-- Departures are priced in their carriers' currencies (issue 14): each leg
-- of a booking records what it costs in its departure's currency and the
-- reference rate (and its date) at which that cost was converted into the
-- booking's total in the network's currency. Rows booked before were all in
-- the network's currency; their legs read back with cost 0 and no currency.
ALTER TABLE logistics_booking_legs ADD COLUMN cost BIGINT NOT NULL DEFAULT 0;
ALTER TABLE logistics_booking_legs ADD COLUMN currency TEXT NOT NULL DEFAULT '';
ALTER TABLE logistics_booking_legs ADD COLUMN rate TEXT NOT NULL DEFAULT '';
ALTER TABLE logistics_booking_legs ADD COLUMN rate_date TEXT NOT NULL DEFAULT '';
