-- The caseload tree as one statement returning JSON (pgbench -M prepared -D counselor=…).
SELECT json_agg(c ORDER BY c.id) FROM (
  SELECT cl.id, cl.first_name, cl.last_name, cl.date_of_birth,
    (SELECT coalesce(json_agg(json_build_object('id', e.id, 'stage', e.stage, 'level_of_care', e.level_of_care,
        'admitted_at', e.admitted_at, 'discharged_at', e.discharged_at) ORDER BY e.id DESC), '[]')
       FROM episodes e WHERE e.client_id = cl.id) AS episodes,
    (SELECT coalesce(json_agg(json_build_object('id', r.id, 'status', r.status, 'created_at', r.created_at,
        'attendance_count', (SELECT count(*) FROM attendance a WHERE a.referral_id = r.id),
        'support_group', json_build_object('id', g.id, 'name', g.name, 'abbreviation', g.abbreviation)) ORDER BY r.id), '[]')
       FROM referrals r JOIN support_groups g ON g.id = r.support_group_id WHERE r.client_id = cl.id) AS referrals,
    (SELECT coalesce(json_agg(json_build_object('id', f.id, 'due_on', f.due_on, 'status', f.status,
        'overdue', f.status = 'SCHEDULED' AND f.due_on < current_date, 'outcome', f.outcome) ORDER BY f.due_on, f.id), '[]')
       FROM follow_ups f WHERE f.client_id = cl.id) AS follow_ups
  FROM clients cl
  WHERE cl.primary_counselor_id = (SELECT id FROM staff WHERE email_normalized = :counselor)
  ORDER BY cl.id LIMIT 40
) c;
