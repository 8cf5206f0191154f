-- Course seats are booking resources the education zone manages (see
-- 0035's managed_by): the generic booking API neither lists nor books them,
-- so a seat is never taken without its enrolment.
UPDATE booking_resources SET managed_by = 'education' WHERE id IN (SELECT resource_id FROM education_courses);
