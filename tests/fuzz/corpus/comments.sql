/* a /* b */ c */ SELECT 1; -- x
