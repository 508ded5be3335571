import { render } from 'preact';
import { App } from './app/App';
import { restoreSession } from './app/session';
import './styles.css';

restoreSession();
render(<App />, document.getElementById('app')!);
