import { render } from 'preact';
import { App } from './app/App';
import { completeSignIn } from './app/oidc';
import { restoreSession, signInMessage } from './app/session';
import './styles.css';

restoreSession();
// Back from the identity provider (`?code=…&state=…`): finish signing in, or say why not.
void completeSignIn().then((completion) => {
  if (completion.kind === 'failed') signInMessage.value = completion.message;
});
render(<App />, document.getElementById('app')!);
