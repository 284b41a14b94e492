import apps from './apps.js';
export default { apps };
