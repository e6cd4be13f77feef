"""Test servers, emulators and fakes used by the backend tests."""
