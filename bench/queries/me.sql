-- The smallest query: one staff row as JSON.
SELECT json_build_object('id', id, 'name', name, 'email', email, 'role', role) FROM staff WHERE email_normalized = :counselor;
