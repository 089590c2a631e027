export { SECRET_NAME_PATTERN, secretNameSchema } from '../channels/address-patterns';
