import { screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logIn, newDatabaseName, renderApp, startBackend, stopAll } from './harness';

describe.each([
  ['in StrictMode', true],
  ['without StrictMode', false],
])('signing in (%s)', (_, strict) => {
  beforeEach(() => {
    startBackend();
  });
  afterEach(stopAll);

  it('shows Username, Password, Log in and Register when signed out', async () => {
    renderApp({ strict });
    expect(await screen.findByRole('textbox', { name: 'Username' })).toBeTruthy();
    expect(screen.getByLabelText('Password').getAttribute('type')).toBe('password');
    expect(screen.getByRole('button', { name: 'Log in' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Register' })).toBeTruthy();
  });

  it("shows the server's error in an alert after a wrong password", async () => {
    const { user } = renderApp({ strict });
    await user.type(await screen.findByRole('textbox', { name: 'Username' }), 'alice');
    await user.type(screen.getByLabelText('Password'), 'wrong password');
    await user.click(screen.getByRole('button', { name: 'Log in' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/password/i);
    expect(screen.queryByRole('navigation', { name: 'Friends' })).toBeNull();
  });

  it('logs in with the right password and shows the friends', async () => {
    const { user } = renderApp({ strict });
    await logIn(user);
    expect(screen.getByRole('list', { name: 'Friends' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Log out' })).toBeTruthy();
  });

  it('registers a new account and signs it in', async () => {
    const { user } = renderApp({ strict });
    await user.type(await screen.findByRole('textbox', { name: 'Username' }), 'erin');
    await user.type(screen.getByLabelText('Password'), 'a long password');
    await user.click(screen.getByRole('button', { name: 'Register' }));
    await screen.findByRole('navigation', { name: 'Friends' });
    expect(screen.getByText('erin')).toBeTruthy();
  });

  it('keeps the session across a reload, until Log out', async () => {
    const dbName = newDatabaseName();
    const first = renderApp({ strict, dbName });
    await logIn(first.user);
    first.unmount();

    const second = renderApp({ strict, dbName });
    await screen.findByRole('navigation', { name: 'Friends' });
    await second.user.click(screen.getByRole('button', { name: 'Log out' }));
    await screen.findByRole('button', { name: 'Log in' });
    second.unmount();

    renderApp({ strict, dbName });
    expect(await screen.findByRole('button', { name: 'Log in' })).toBeTruthy();
    await waitFor(() => expect(screen.queryByRole('navigation', { name: 'Friends' })).toBeNull());
  });
});
