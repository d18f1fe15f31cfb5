# dmarcsight_module(NAME DEPS...): a static library from every .cpp in the current folder
# (and its sub-folders), with src/ as the include root so headers read "core/result.hpp".
function(dmarcsight_module name)
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  add_library(dmarcsight_${name} STATIC ${sources})
  target_include_directories(dmarcsight_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(dmarcsight_${name} PUBLIC ${ARGN})
endfunction()
